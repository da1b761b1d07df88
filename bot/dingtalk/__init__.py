"""The DingTalk (钉钉) channel: Stream mode (the vendor SDK's WebSocket) and the outgoing-robot
HTTP mode, both answering through each message's sessionWebhook."""
