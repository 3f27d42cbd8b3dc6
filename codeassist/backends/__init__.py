"""Inference backends: in-process llama.cpp, an OpenAI-compatible server, and a fake."""
