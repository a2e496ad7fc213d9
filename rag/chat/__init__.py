"""The chat layer: a chat history to one question, and chat frontends' background tasks."""
