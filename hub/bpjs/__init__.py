"""BPJS PCare bridge: signing, response decryption, a typed client, circuit breaker, outbox, audit log,
encrypted settings, a faithful simulator, CLI and benchmark. The loket reaches it as ``hub.bpjs``
(:class:`hub.bpjs.service.BpjsBridge`)."""
