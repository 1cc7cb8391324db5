"""One module per wire protocol, chosen by the model's ``metadata.protocol``.

- :mod:`.aws_json` (``json``): AWS JSON 1.0/1.1, ``X-Amz-Target``; :mod:`.cbor`, its CBOR body (Kinesis);
- :mod:`.query` (``query``): form in, XML out (SNS; SQS's legacy form);
- :mod:`.rest_json` (``rest-json``, Lambda), routed by :mod:`.rest_routes`;
- :mod:`.eventstream`: the event-stream framing, and :mod:`.streaming`: a service's events as messages;
- :mod:`.shapes`: output shapes compiled into converters, shared by the formats;
- :mod:`.not_served`: errors for services Eventyard does not serve, in their own protocol.
"""
