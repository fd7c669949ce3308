"""Rasa custom actions: thin adapters from the conversation to ``bot.conversation``.

One module per workflow; ``common`` holds the plumbing (who is speaking, sending a
Reply, keeping state in slots, turning failures into a clear message). No SQL here:
every read and write goes through ``bot.conversation.Conversation``.
"""
