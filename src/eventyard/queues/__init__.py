"""Amazon SQS, complete and durable: standard and FIFO queues over the yard's database.

``service.QueueService`` is the API (one method per SQS operation); ``store``/``message_store``
hold the SQL shared by SQLite and PostgreSQL; ``engine`` runs the background work.
"""
