"""Amazon Kinesis Data Streams: streams, shards, records, resharding, consumers and SubscribeToShard."""
