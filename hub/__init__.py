"""The hub: dispatcher, database, BPJS bridge, web and MQTT gateway."""
