"""The conversation, once for every channel: a message in, a reply of parts out."""
