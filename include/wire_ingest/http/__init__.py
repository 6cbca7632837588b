"""HTTP: the session, the link guard, robots.txt, per-host rate limits, the fetch loop."""
