"""Queueing analytics (docs/analytics.md).

- :mod:`~hub.analytics.queueing`: the M/M/1 and M/M/c (Erlang C) formulas, written once;
- :mod:`~hub.analytics.fit`: Kolmogorov–Smirnov fit of measured times against the exponential;
- :mod:`~hub.analytics.measure`: λ, μ, lokets busy and waits per hour from the hub's own records;
- :mod:`~hub.analytics.staffing`: the fewest lokets per hour for a target wait (dashboard, reports);
- :mod:`~hub.analytics.visits`: the same analysis for recorded visits from outside (CSV);
- :mod:`~hub.analytics.simulation`, :mod:`~hub.analytics.days`, :mod:`~hub.analytics.waits`: a SimPy
  simulator of the lokets in the hub's call order, the days it runs, the waits it reports;
- :mod:`~hub.analytics.replay`: a day replayed against a real hub over MQTT;
- :mod:`~hub.analytics.cli`, :mod:`~hub.analytics.cli_hub`, :mod:`~hub.analytics.simulate`:
  ``antrean analyze`` and ``antrean simulate``.
"""
