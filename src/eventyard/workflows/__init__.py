"""Workflows: the Amazon States Language, parsed, validated and evaluated in-process."""
