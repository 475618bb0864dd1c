"""Foreign alert formats mapped onto the canonical event. Pure: no AWS, no HTTP.

Each adapter takes the parsed payload and the integration's defaults and returns canonical event
documents (validated afterwards by :func:`chalicelib.core.events.parse_event`). A payload that is
not what the tool sends is refused with :class:`InvalidEvent` naming the foreign field.
"""
