"""``antrean doctor``: checks a hub, kiosk, display or counter node where it stands and tells the hub.

:mod:`~antrean.doctor.checks` holds the verdicts (pure), :mod:`~antrean.doctor.probes` what touches the
world, :mod:`~antrean.doctor.run` the order of the checks per role, :mod:`~antrean.doctor.cli` the command.
"""
