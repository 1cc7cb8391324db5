"""Amazon SNS: topics, subscriptions, filter policies and fan-out (see ``service.py``)."""
