"""I/O: the backend app, the API client and event stream, notifications, ETA, watchdog, simulator."""
