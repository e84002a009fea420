"""Queueing analytics: the M/M/1 and M/M/c formulas (:mod:`hub.analytics.queueing`), the measures taken from
the hub's own event log (:mod:`hub.analytics.measure`), staffing advice (:mod:`hub.analytics.staffing`), the
same analysis for recorded visits (:mod:`hub.analytics.visits`) and a discrete-event simulator
(:mod:`hub.analytics.simulation`)."""
