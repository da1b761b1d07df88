"""The WeCom (企业微信) channel: the 智能机器人 over its long connection, or HTTP callbacks."""
