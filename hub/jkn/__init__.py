"""Mobile JKN (BPJS Antrean FKTP) in both directions: the web service BPJS calls (:mod:`hub.jkn.ws`), the
numbers it takes (:mod:`hub.jkn.antrean`), the calls to BPJS through the PCare bridge's outbox
(:mod:`hub.jkn.sender`), and a strict simulator of the BPJS side (:mod:`hub.jkn.sim`)."""
