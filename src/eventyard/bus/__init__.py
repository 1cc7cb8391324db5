"""The event bus: rules, patterns, targets, archives and schedules (Amazon EventBridge)."""
