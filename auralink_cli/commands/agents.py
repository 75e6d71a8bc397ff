"""`auralink agents …` (AgentService): agents, chat (a streaming REPL, or one-shot for scripts), history, rooms."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from auralink_cli import output
from auralink_cli.commands import _access as common
from auralink_cli.exit_codes import USAGE, CliError
from auralink_cli.render.agents import agent_table, agents_table, assignments_table, conversations_table, messages_table

if TYPE_CHECKING:
    from auralink_cli.client import Client

agents_app = typer.Typer(name="agents", help="AI agents: configuration, chat, history and rooms.", no_args_is_help=True)
AgentArg = Annotated[str, typer.Argument(help="An agent id or name.")]
DEFAULT_MODEL = "local/smollm2-135m"


def register(app: typer.Typer) -> None:
    app.add_typer(agents_app, name="agents")


def _call(ctx: typer.Context, use: Callable[[Client], Any]) -> dict[str, Any]:
    """`use(client)` on a fresh channel; its response as a dict."""
    return common.to_dict(common.connected(common.settings_of(ctx), use))


def build_agent(
    name: str = "",
    model: str | None = None,
    temperature: float | None = None,
    system_prompt: str | None = None,
    memory: bool | None = None,
    voice: bool | None = None,
    traits: list[str] | None = None,
    style: str | None = None,
    max_tokens: int | None = None,
    description: str | None = None,
    tools: list[str] | None = None,
) -> tuple[Any, list[str]]:
    """An Agent message with the given fields set, and the update_mask paths naming them."""
    from auralink.v1 import agents_pb2

    agent = agents_pb2.Agent(name=name)
    paths: list[str] = []
    for path, value in (
        ("model", model),
        ("temperature", temperature),
        ("system_prompt", system_prompt),
        ("memory_enabled", memory),
        ("voice_enabled", voice),
        ("max_tokens", max_tokens),
        ("description", description),
    ):
        if value is not None:
            setattr(agent, path, value)
            paths.append(path)
    if traits is not None:
        agent.personality.traits[:] = traits
        paths.append("personality.traits")
    if style is not None:
        agent.personality.style = style
        paths.append("personality.style")
    if tools is not None:
        agent.tools[:] = tools
        paths.append("tools")
    return agent, paths


@agents_app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Agent name, unique in the org.")],
    model: Annotated[str, typer.Option("--model", "-m", help="PROVIDER/MODEL.")] = DEFAULT_MODEL,
    temperature: Annotated[float, typer.Option("--temperature", help="0 to 2.")] = 0.7,
    system_prompt: Annotated[str, typer.Option("--system-prompt", "-s")] = "You are a helpful assistant.",
    memory: Annotated[bool, typer.Option("--memory/--no-memory", help="Recall and store memories.")] = False,
    voice: Annotated[bool, typer.Option("--voice/--no-voice")] = False,
    trait: Annotated[list[str] | None, typer.Option("--trait", help="A personality trait (repeatable).")] = None,
    style: Annotated[str, typer.Option("--style", help="How it speaks.")] = "",
    max_tokens: Annotated[int, typer.Option("--max-tokens", help="Reply length (0: default).")] = 0,
    tool: Annotated[list[str] | None, typer.Option("--tool", help="An MCP tool CONNECTION/TOOL (repeatable).")] = None,
) -> None:
    """Create an agent (default: the offline local model)."""
    from auralink.v1 import agents_pb2

    agent, _ = build_agent(
        name, model, temperature, system_prompt, memory, voice, trait or [], style, max_tokens, tools=tool or []
    )
    data = _call(ctx, lambda c: c.agents.CreateAgent(agents_pb2.CreateAgentRequest(agent=agent)))
    common.emit(common.settings_of(ctx), data, agent_table)


@agents_app.command("list")
@common.watchable
def list_agents(
    ctx: typer.Context,
    limit: Annotated[int, common.LimitOption] = common.DEFAULT_LIMIT,
    page_token: Annotated[str, common.PageTokenOption] = "",
) -> None:
    """The agents of your organization."""
    from auralink.v1 import agents_pb2

    settings = common.settings_of(ctx)
    data = common.listed(
        settings,
        lambda c, size, token: c.agents.ListAgents(agents_pb2.ListAgentsRequest(page_size=size, page_token=token)),
        "agents", limit, page_token,
    )  # fmt: skip
    common.emit(settings, data, agents_table, wide=True)


@agents_app.command("show")
def show(ctx: typer.Context, agent: AgentArg) -> None:
    """One agent's configuration."""
    from auralink.v1 import agents_pb2

    common.emit(
        common.settings_of(ctx),
        _call(ctx, lambda c: c.agents.GetAgent(agents_pb2.GetAgentRequest(agent=agent))),
        agent_table,
    )


@agents_app.command("update")
def update(
    ctx: typer.Context,
    agent: AgentArg,
    name: Annotated[str | None, typer.Option("--name")] = None,
    model: Annotated[str | None, typer.Option("--model", "-m")] = None,
    temperature: Annotated[float | None, typer.Option("--temperature")] = None,
    system_prompt: Annotated[str | None, typer.Option("--system-prompt", "-s")] = None,
    memory: Annotated[bool | None, typer.Option("--memory/--no-memory")] = None,
    voice: Annotated[bool | None, typer.Option("--voice/--no-voice")] = None,
    trait: Annotated[list[str] | None, typer.Option("--trait")] = None,
    style: Annotated[str | None, typer.Option("--style")] = None,
    max_tokens: Annotated[int | None, typer.Option("--max-tokens")] = None,
    tool: Annotated[
        list[str] | None, typer.Option("--tool", help="MCP tools CONNECTION/TOOL (repeatable; replaces the set).")
    ] = None,
    no_tools: Annotated[bool, typer.Option("--no-tools", help="Remove every tool.")] = False,
    version: Annotated[
        int, typer.Option("--etag", "--version", help="Fail unless the agent is at this version (its etag).")
    ] = 0,
) -> None:
    """Change fields of an agent (only those given); --version guards against concurrent edits."""
    from auralink.v1 import agents_pb2

    tools = [] if no_tools else tool
    message, paths = build_agent(
        "", model, temperature, system_prompt, memory, voice, trait, style, max_tokens, tools=tools
    )
    if name is not None:
        message.name = name
        paths.append("name")
    if not paths:
        raise CliError(USAGE, "nothing to update: give at least one option")
    if common.looks_like_uuid(agent):
        message.id = agent
    elif name is None:
        message.name = agent
    else:
        message.id = _call(ctx, lambda c: c.agents.GetAgent(agents_pb2.GetAgentRequest(agent=agent)))["id"]
    message.version = version
    request = agents_pb2.UpdateAgentRequest(agent=message)
    request.update_mask.paths.extend(paths)
    common.emit(common.settings_of(ctx), _call(ctx, lambda c: c.agents.UpdateAgent(request)), agent_table)


@agents_app.command("delete")
def delete(ctx: typer.Context, agent: AgentArg, yes: Annotated[bool, common.YesOption] = False) -> None:
    """Delete an agent, its conversations and room assignments."""
    from auralink.v1 import agents_pb2

    settings = common.settings_of(ctx)
    common.require_confirmation(yes, f"Delete agent {agent!r}?")
    _call(ctx, lambda c: c.agents.DeleteAgent(agents_pb2.DeleteAgentRequest(agent=agent)))
    common.deleted(settings, "agent", agent, f"deleted agent {agent}")


@agents_app.command("history")
def history(
    ctx: typer.Context,
    agent: Annotated[str, typer.Argument(help="An agent id or name (all when omitted).")] = "",
    conversation: Annotated[str, typer.Option("--conversation", "-c", help="Show this conversation's messages.")] = "",
    delete_: Annotated[bool, typer.Option("--delete", help="Delete --conversation.")] = False,
    yes: Annotated[bool, common.YesOption] = False,
) -> None:
    """Your conversations with an agent, or one conversation's messages."""
    from auralink.v1 import agents_pb2

    settings = common.settings_of(ctx)
    if conversation and delete_:
        common.require_confirmation(yes, f"Delete conversation {conversation}?")
        _call(ctx, lambda c: c.agents.DeleteConversation(agents_pb2.DeleteConversationRequest(id=conversation)))
        common.deleted(settings, "conversation", conversation, f"deleted conversation {conversation}")
        return
    if conversation:
        data = _call(ctx, lambda c: c.agents.GetConversation(agents_pb2.GetConversationRequest(id=conversation)))
        common.emit(settings, data, messages_table)
        return
    data = _call(
        ctx, lambda c: c.agents.ListConversations(agents_pb2.ListConversationsRequest(agent=agent, page_size=100))
    )
    common.emit(settings, data, conversations_table, wide=True)


@agents_app.command("assign-room")
def assign_room(
    ctx: typer.Context,
    agent: AgentArg,
    room: Annotated[str, typer.Argument(help="Room id.")],
    role: Annotated[
        str, typer.Option("--role", help="assistant, participant, moderator, transcriber, translator.")
    ] = "assistant",
    auto_join: Annotated[bool, typer.Option("--auto-join/--no-auto-join")] = True,
) -> None:
    """Assign an agent to a room; the WebRTC server sees it at once (WatchRoomAssignments)."""
    from auralink.v1 import agents_pb2

    request = agents_pb2.AssignRoomRequest(agent=agent, room_id=room, role=role, auto_join=auto_join)
    common.emit(common.settings_of(ctx), _call(ctx, lambda c: c.agents.AssignRoom(request)))


@agents_app.command("unassign-room")
def unassign_room(
    ctx: typer.Context,
    agent: AgentArg,
    room: Annotated[str, typer.Argument(help="Room id.")],
    yes: Annotated[bool, common.YesOption] = False,
) -> None:
    """Take an agent out of a room."""
    from auralink.v1 import agents_pb2

    common.require_confirmation(yes, f"Take {agent} out of room {room}?")
    _call(ctx, lambda c: c.agents.UnassignRoom(agents_pb2.UnassignRoomRequest(agent=agent, room_id=room)))
    common.deleted(common.settings_of(ctx), "room_assignment", room, f"{agent} left room {room}", agent=agent)


@agents_app.command("rooms")
def rooms(ctx: typer.Context, agent: Annotated[str, typer.Argument(help="An agent (all when omitted).")] = "") -> None:
    """Active room assignments."""
    from auralink.v1 import agents_pb2

    data = _call(ctx, lambda c: c.agents.ListRoomAssignments(agents_pb2.ListRoomAssignmentsRequest(agent=agent)))
    common.emit(common.settings_of(ctx), data, assignments_table, wide=True)


class ChatSession:
    """One conversation: sends messages, prints tokens as they stream, remembers what memory did."""

    def __init__(self, ctx: typer.Context, agent: str, max_tokens: int, speak_to: Path | None = None) -> None:
        self.speak_to = speak_to  # also write each reply, spoken, as a WAV here
        self.settings = common.settings_of(ctx)
        self.agent = agent
        self.max_tokens = max_tokens
        self.conversation = ""
        self.recalled: list[str] = []
        self.outcomes: list[dict[str, Any]] = []
        self.tool_calls: list[dict[str, Any]] = []

    def send(self, message: str, echo: bool) -> str:
        from auralink.v1 import agents_pb2

        request = agents_pb2.ChatRequest(
            agent=self.agent, message=message, conversation_id=self.conversation, max_tokens=self.max_tokens,
            speak=self.speak_to is not None,
        )  # fmt: skip
        console = output.console(self.settings.no_color)
        parts: list[str] = []
        self.tool_calls = []
        for response in common.streamed(self.settings, lambda c: c.agents.Chat(request, timeout=self.settings.timeout)):
            self.conversation = response.conversation_id
            if response.HasField("tool_call"):
                call = response.tool_call
                self.tool_calls.append(common.to_dict(call))
                if echo:
                    mark = " (error)" if call.is_error else ""
                    output.info(f"[tool {call.connection}/{call.tool}{mark}: {call.result[:200]}]")
            if response.recalled_memories:
                self.recalled = list(response.recalled_memories)
            if response.delta:
                parts.append(response.delta)
                if echo:
                    console.print(response.delta, end="", markup=False, highlight=False, soft_wrap=True)
            if response.done:
                if self.speak_to is not None:
                    write_file(self.speak_to, response.audio)
                self.outcomes = [common.to_dict(o) for o in response.memory_outcomes]
        if echo:
            console.print("", markup=False)
        return "".join(parts)


@agents_app.command("chat")
def chat(
    ctx: typer.Context,
    agent: AgentArg,
    message: Annotated[
        str | None, typer.Option("--message", "-m", help="One message, one reply (for scripts).")
    ] = None,
    max_tokens: Annotated[int, typer.Option("--max-tokens", help="Reply length (0: the agent's).")] = 0,
    voice: Annotated[
        bool, typer.Option("--voice", help="Speak instead: the user's audio from --in, the spoken reply to --out.")
    ] = False,
    audio_in: Annotated[
        str, typer.Option("--in", help="--voice: an audio file of what you say (WAV, Ogg/Opus, ...); - for stdin.")
    ] = "-",
    audio_out: Annotated[
        Path | None, typer.Option("--out", help="--voice: the WAV file to write the reply to.")
    ] = None,
    tts_voice: Annotated[str, typer.Option("--tts-voice", help="--voice: the voice the agent speaks with.")] = "",
    conversation: Annotated[str, typer.Option("--conversation", help="--voice: continue this conversation.")] = "",
    speak_to: Annotated[
        Path | None, typer.Option("--speak-to", help="Also speak the reply into this WAV (an agent with voice on).")
    ] = None,
) -> None:
    """Chat with an agent: a REPL with /exit, /memory and /reset; one-shot with -m or piped stdin.

    With --voice: one spoken turn, `--in question.wav --out reply.wav`; prints what was heard and the reply.
    """
    if voice:
        voice_turn(ctx, agent, audio_in, audio_out, tts_voice, max_tokens, conversation)
        return
    session = ChatSession(ctx, agent, max_tokens, speak_to)
    if message is not None or not output.interactive():
        text = message if message is not None else sys.stdin.read()
        if not text.strip():
            raise CliError(USAGE, "no message: give -m MESSAGE or pipe one on stdin")
        reply = session.send(text, echo=False)
        if session.settings.output == "table":
            output.plain(reply)
        else:
            common.emit(
                session.settings,
                {
                    "conversation_id": session.conversation,
                    "reply": reply,
                    "recalled_memories": session.recalled,
                    "memory_outcomes": session.outcomes,
                    "tool_calls": session.tool_calls,
                },
            )
        return
    output.info(f"chatting with {agent}: /exit to leave, /memory for what it recalled, /reset for a new conversation")
    while True:
        try:
            line = input("you> ")
        except (EOFError, KeyboardInterrupt):
            output.info("")
            return
        command = line.strip()
        if not command:
            continue
        if command == "/exit":
            return
        if command == "/reset":
            session.conversation = ""
            output.info("(new conversation)")
            continue
        if command == "/memory":
            output.info("recalled: " + ("; ".join(session.recalled) or "(nothing)"))
            for o in session.outcomes:
                output.info(f"  {o['kind'].removeprefix('MEMORY_OUTCOME_KIND_').lower()}: {o['fact'] or o['detail']}")
            continue
        session.send(line, echo=True)


VOICE_TIMEOUT_S = 300.0  # the first turn loads the offline speech model in the daemon


def voice_turn(
    ctx: typer.Context, agent: str, audio_in: str, audio_out: Path | None, tts_voice: str, max_tokens: int,
    conversation: str,
) -> None:  # fmt: skip
    """One VoiceChat turn from a file (or stdin) to a WAV: the daemon transcribes, the agent answers, it speaks."""
    import dataclasses
    import io
    import wave

    from auralink.v1 import agents_pb2

    if audio_out is None:
        raise CliError(USAGE, "--voice needs --out FILE.wav for the spoken reply")
    try:
        data = sys.stdin.buffer.read() if audio_in == "-" else Path(audio_in).read_bytes()
    except OSError as exc:
        raise CliError(USAGE, f"cannot read {audio_in}: {exc.strerror or exc}") from None
    if not data:
        raise CliError(USAGE, "no audio: give --in FILE or pipe a WAV on stdin")
    settings = common.settings_of(ctx)
    settings = dataclasses.replace(settings, timeout=max(settings.timeout, VOICE_TIMEOUT_S))
    config = agents_pb2.VoiceChatConfig(
        agent=agent, conversation_id=conversation, input=agents_pb2.VOICE_INPUT_FILE, voice=tts_voice,
        max_tokens=max_tokens,
    )  # fmt: skip
    requests = iter([agents_pb2.VoiceChatRequest(config=config), agents_pb2.VoiceChatRequest(audio=data)])
    heard, reply, errors, rate = "", "", [], 0
    pcm = bytearray()
    done: dict[str, Any] = {}
    conversation_id = conversation
    for response in common.streamed(settings, lambda c: c.agents.VoiceChat(requests, timeout=settings.timeout)):
        conversation_id = response.conversation_id or conversation_id
        event = response.WhichOneof("event")
        if event == "transcript" and response.transcript.final:
            heard = response.transcript.text
        elif event == "audio":
            rate = response.audio.sample_rate
            pcm += response.audio.pcm
        elif event == "done":
            reply = response.done.reply
            done = common.to_dict(response.done)
        elif event == "error":
            errors.append(response.error)
    if errors and not done:
        raise CliError(USAGE, "; ".join(errors))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate or 22050)
        w.writeframes(bytes(pcm))
    write_file(audio_out, buffer.getvalue())
    seconds = len(pcm) / 2 / rate if rate else 0.0
    data_out = {
        "conversation_id": conversation_id, "heard": heard, "reply": reply, "file": str(audio_out),
        "audio_seconds": round(seconds, 3), "usage": done.get("usage", {}),
        "memory_outcomes": done.get("memory_outcomes", []),
    }  # fmt: skip
    if settings.output == "table":
        output.plain(f"you: {heard}")
        output.plain(f"{agent}: {reply}")
        output.info(f"reply audio: {audio_out} ({seconds:.1f} s)")
    else:
        common.emit(settings, data_out)


def write_file(path: Path, data: bytes) -> None:
    """Whole or not at all (a temporary file, then a rename)."""
    temporary = path.with_name(f".{path.name}.part")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise CliError(USAGE, f"cannot write {path}: {exc.strerror or exc}") from None
