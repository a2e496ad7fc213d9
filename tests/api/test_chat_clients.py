"""The OpenAI-compatible endpoint driven by the chat client libraries people use: LangChain's
ChatOpenAI and LlamaIndex's OpenAILike, streaming and not, multi-turn, with a system message."""

from __future__ import annotations

GT, XINHUA = "000_c52a582f011e3939", "001_27f4805873241f1d"


def test_langchain_chat_openai(api_server) -> None:  # type: ignore[no-untyped-def]
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
    from langchain_openai import ChatOpenAI

    llm = ChatOpenAI(base_url=f"{api_server.url}/v1", api_key="unused", model="newsrag-extractive", max_retries=0)
    messages = [SystemMessage("Answer from the archive."), HumanMessage("What did Oman say?")]
    answer = llm.invoke(messages)
    assert isinstance(answer.content, str) and "Sources:" in answer.content and "Xinhua" in answer.content
    streamed = "".join(str(chunk.content) for chunk in llm.stream(messages))
    assert streamed == answer.content
    follow_up = llm.invoke([*messages, AIMessage(answer.content), HumanMessage("What did Wang Yi say?")])
    assert "Wang" in str(follow_up.content) and follow_up.content != answer.content


def test_llamaindex_openai_like(api_server) -> None:  # type: ignore[no-untyped-def]
    from llama_index.core.llms import ChatMessage
    from llama_index.llms.openai_like import OpenAILike

    llm = OpenAILike(
        api_base=f"{api_server.url}/v1",
        api_key="unused",
        model="newsrag-extractive",
        is_chat_model=True,
        max_retries=0,
        timeout=60,
    )
    messages = [
        ChatMessage(role="system", content="Answer from the archive."),
        ChatMessage(role="user", content="What did Oman say?"),
    ]
    reply = llm.chat(messages)
    text = reply.message.content or ""
    assert "Sources:" in text and "Global Times" in text
    streamed = "".join(r.delta or "" for r in llm.stream_chat(messages))
    assert streamed == text
    turn2 = llm.chat([*messages, reply.message, ChatMessage(role="user", content="And what did China say?")])
    assert (turn2.message.content or "") and turn2.message.content != text
