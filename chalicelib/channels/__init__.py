"""One adapter per sending API, each implementing :class:`chalicelib.core.ports.ChannelSender`."""
