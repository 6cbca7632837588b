"""Discovery: find a day's article links by walking a source's listing pages newest first."""
