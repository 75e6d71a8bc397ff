"""`auralink providers …` (AIProviderService): provider configs, BYOK keys, validation and KEK rotation.

Keys are read from --key-stdin or a hidden prompt, never from the command line (shell history); only
their fingerprint is ever shown.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from auralink_cli import output
from auralink_cli.commands import _access as common
from auralink_cli.exit_codes import USAGE, CliError
from auralink_cli.render.providers import keys_table, provider_table, providers_table

providers_app = typer.Typer(name="providers", help="LLM providers and their API keys (BYOK).", no_args_is_help=True)
TYPES = ("openai", "anthropic", "gemini", "azure", "bedrock", "ollama", "openai_compatible", "local")


def register(app: typer.Typer) -> None:
    app.add_typer(providers_app, name="providers")


def type_enum(name: str) -> int:
    from auralink.v1 import providers_pb2

    if name not in TYPES:
        raise CliError(USAGE, f"--type: expected one of {', '.join(TYPES)}, got {name!r}")
    return int(providers_pb2.ProviderType.Value(f"PROVIDER_TYPE_{name.upper()}"))


@providers_app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Provider name, unique in the org (used in model refs: NAME/model).")],
    type_: Annotated[str, typer.Option("--type", "-t", help=f"One of {', '.join(TYPES)}.")],
    base_url: Annotated[str, typer.Option("--base-url", help="For openai_compatible, azure, ollama.")] = "",
    model: Annotated[list[str] | None, typer.Option("--model", "-m", help="A model it serves (repeatable).")] = None,
    default_model: Annotated[str, typer.Option("--default-model")] = "",
    priority: Annotated[int, typer.Option("--priority", help="Lower first in automatic chains.")] = 100,
    timeout: Annotated[float, typer.Option("--timeout-s", help="Per-call timeout in seconds.")] = 30.0,
) -> None:
    """Add a provider configuration to your organization (org admins)."""
    from google.protobuf.duration_pb2 import Duration

    from auralink.v1 import providers_pb2

    settings = common.settings_of(ctx)
    provider = providers_pb2.Provider(
        name=name,
        type=type_enum(type_),
        base_url=base_url,
        models=model or [],
        default_model=default_model,
        priority=priority,
        enabled=True,
        timeout=Duration(seconds=int(timeout), nanos=int((timeout % 1) * 1e9)),
    )
    resp = common.connected(
        settings, lambda c: c.providers.CreateProvider(providers_pb2.CreateProviderRequest(provider=provider))
    )
    common.emit(settings, common.to_dict(resp), provider_table)


@providers_app.command("list")
@common.watchable
def list_providers(
    ctx: typer.Context,
    limit: Annotated[int, common.LimitOption] = common.DEFAULT_LIMIT,
    page_token: Annotated[str, common.PageTokenOption] = "",
) -> None:
    """The providers of your organization, and the built-in local model."""
    from auralink.v1 import providers_pb2

    settings = common.settings_of(ctx)
    data = common.listed(
        settings,
        lambda c, size, token: c.providers.ListProviders(
            providers_pb2.ListProvidersRequest(page_size=size, page_token=token)
        ),
        "providers", limit, page_token,
    )  # fmt: skip
    common.emit(settings, data, providers_table, wide=True)


@providers_app.command("remove")
def remove(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Provider id or name.")],
    yes: Annotated[bool, common.YesOption] = False,
) -> None:
    """Delete a provider configuration (and its stored keys)."""
    from auralink.v1 import providers_pb2

    settings = common.settings_of(ctx)
    common.require_confirmation(yes, f"Delete provider {name!r} and its keys?")
    common.connected(settings, lambda c: c.providers.DeleteProvider(providers_pb2.DeleteProviderRequest(provider=name)))
    common.deleted(settings, "provider", name, f"deleted provider {name}")


def read_key(key_stdin: bool) -> str:
    if key_stdin or not output.interactive():
        key = sys.stdin.read().strip()
    else:
        key = output.prompt_secret("API key").strip()
    if not key:
        raise CliError(USAGE, "no key given (pipe it with --key-stdin or type it at the prompt)")
    return key


@providers_app.command("set-key")
def set_key(
    ctx: typer.Context,
    provider: Annotated[str, typer.Argument(help="Provider name.")],
    org: Annotated[bool, typer.Option("--org", help="An org-wide key (org admins); default: yours only.")] = False,
    label: Annotated[str, typer.Option("--label")] = "default",
    key_stdin: Annotated[bool, typer.Option("--key-stdin", help="Read the key from stdin.")] = False,
) -> None:
    """Store an API key, encrypted at rest. Only its fingerprint is ever shown again."""
    from auralink.v1 import providers_pb2

    settings = common.settings_of(ctx)
    scope = providers_pb2.KEY_SCOPE_ORG if org else providers_pb2.KEY_SCOPE_USER
    request = providers_pb2.SetProviderKeyRequest(
        provider=provider, api_key=read_key(key_stdin), scope=scope, label=label
    )
    resp = common.connected(settings, lambda c: c.providers.SetProviderKey(request))
    data = common.to_dict(resp)
    common.emit(
        settings,
        data,
        lambda d: common.fields_table(
            [
                ("Provider", d["provider"]),
                ("Label", d["label"]),
                ("Scope", d["scope"]),
                ("Fingerprint", d["fingerprint"]),
                ("KEK", d["kek_id"]),
            ]
        ),
    )


@providers_app.command("keys")
def keys(
    ctx: typer.Context, provider: Annotated[str, typer.Argument(help="Provider name (all when omitted).")] = ""
) -> None:
    """Stored keys you can see: fingerprints only."""
    from auralink.v1 import providers_pb2

    settings = common.settings_of(ctx)
    resp = common.connected(
        settings, lambda c: c.providers.ListProviderKeys(providers_pb2.ListProviderKeysRequest(provider=provider))
    )
    common.emit(settings, common.to_dict(resp), keys_table, wide=True)


@providers_app.command("validate")
def validate(
    ctx: typer.Context,
    provider: Annotated[str, typer.Argument(help="Provider name.")],
    model: Annotated[str, typer.Option("--model", "-m")] = "",
    key_stdin: Annotated[
        bool, typer.Option("--key-stdin", help="Validate this key instead of the stored one.")
    ] = False,
) -> None:
    """Make one cheap real call with the stored key (or a given one). Exit 0 only when it is accepted."""
    from auralink.v1 import providers_pb2

    settings = common.settings_of(ctx)
    request = providers_pb2.ValidateProviderKeyRequest(
        provider=provider, model=model, api_key=read_key(True) if key_stdin else ""
    )
    data = common.to_dict(common.connected(settings, lambda c: c.providers.ValidateProviderKey(request)))
    common.emit(settings, data)
    if not data["valid"]:
        raise typer.Exit(6)


@providers_app.command("rotate-kek")
def rotate_kek(ctx: typer.Context, yes: Annotated[bool, common.YesOption] = False) -> None:
    """Re-wrap every stored key with a new key-encryption key, in one transaction (platform admins)."""
    from auralink.v1 import providers_pb2

    settings = common.settings_of(ctx)
    common.require_confirmation(yes, "Re-wrap every stored provider key with a new KEK?")
    resp = common.connected(
        settings, lambda c: c.providers.RotateKeyEncryptionKey(providers_pb2.RotateKeyEncryptionKeyRequest())
    )
    common.emit(settings, common.to_dict(resp))
