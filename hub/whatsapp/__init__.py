"""WhatsApp messages to patients: Indonesian templates the admin edits (:mod:`hub.whatsapp.templates`), two
providers behind one interface (:mod:`hub.whatsapp.providers`), the notifications outbox and its sender
thread (:mod:`hub.whatsapp.outbox`), what the queue's changes mean (:mod:`hub.whatsapp.follower`) and a
strict simulator of both providers (:mod:`hub.whatsapp.sim`)."""
