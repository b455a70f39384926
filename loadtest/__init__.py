"""`booking-assistant loadtest`: real traffic at real replicas, then the promises checked."""
