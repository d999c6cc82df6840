"""The webhook service: ingress, queue, handlers, periodic resync, settings, logs, metrics."""
