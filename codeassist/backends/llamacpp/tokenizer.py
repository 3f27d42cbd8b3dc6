"""A model's chat template and vocabulary: messages to prompt text, text to tokens."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import llama_cpp
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from codeassist.backends.base import Message

# Used when a GGUF carries no chat template of its own.
CHATML = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{{ message['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


class Tokenizer:
    """Formats chats with the model's own template and turns text into its tokens."""

    def __init__(self, llm: llama_cpp.Llama) -> None:
        self._llm = llm
        self.vocab: Any = llama_cpp.llama_model_get_vocab(llm._model.model)
        model = llm._model
        eos, bos = llm.token_eos(), llm.token_bos()
        self._formatter = Jinja2ChatFormatter(
            template=llm.metadata.get("tokenizer.chat_template") or CHATML,
            eos_token=model.token_get_text(eos) if eos != -1 else "",
            bos_token=model.token_get_text(bos) if bos != -1 else "",
        )

    @property
    def n_vocab(self) -> int:
        return int(llama_cpp.llama_vocab_n_tokens(self.vocab))

    def format(self, messages: Sequence[Message]) -> str:
        """The prompt; a final assistant message is the answer begun, continued from its end."""
        begun = ""
        if messages and messages[-1].role == "assistant":
            *messages, last = messages
            begun = last.content
        chat = [{"role": m.role, "content": m.content} for m in messages]
        return self._formatter(messages=chat).prompt + begun  # type: ignore[arg-type]

    def tokenize(self, text: str, *, special: bool = True) -> list[int]:
        return self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=special)

    def count_tokens(self, text: str) -> int:
        return len(self.tokenize(text, special=False)) if text else 0

    def piece(self, token: int) -> str:
        """The vocabulary entry of `token`, as stored in the model."""
        return str(self._llm._model.token_get_text(token))
