"""The gateway: AWS wire protocols in, operation calls on services, AWS-shaped errors out."""
