"""Staff triage console for intake coordinators (aiohttp + aiohttp-jinja2, server-rendered)."""
