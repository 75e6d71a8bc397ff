"""CredentialService servicer: who am I, tokens and API keys."""

from __future__ import annotations

import grpc

from auralink.v1 import access_pb2, access_pb2_grpc
from auralinkd.access.credentials import ApiKeyInfo, CredentialService, IssuedToken, TokenInfo
from auralinkd.api.context import current_caller
from auralinkd.api.convert import timestamp
from auralinkd.api.directory import org_to_proto, user_to_proto
from auralinkd.api.permissions import requires
from auralinkd.directory.service import DirectoryService


class CredentialServicer(access_pb2_grpc.CredentialServiceServicer):
    def __init__(self, credentials: CredentialService, directory: DirectoryService) -> None:
        self._credentials = credentials
        self._directory = directory

    @requires("self:read")
    async def WhoAmI(
        self, request: access_pb2.WhoAmIRequest, context: grpc.aio.ServicerContext
    ) -> access_pb2.WhoAmIResponse:
        caller = current_caller()
        principal = caller.principal
        user = await self._directory.get_user(caller, str(principal.user_id))
        organization = await self._directory.get_org(caller, str(principal.org_id))
        permissions = sorted(
            principal.permissions
            if principal.scopes is None
            else {p for p in principal.permissions | principal.scopes if principal.can(p)}
        )
        return access_pb2.WhoAmIResponse(
            user=user_to_proto(user), organization=org_to_proto(organization), permissions=permissions,
            credential_type=principal.credential_type, credential_id=principal.credential_id,
        )  # fmt: skip

    @requires("tokens:create")
    async def IssueToken(
        self, request: access_pb2.IssueTokenRequest, context: grpc.aio.ServicerContext
    ) -> access_pb2.IssueTokenResponse:
        issued = await self._credentials.issue_token(
            current_caller(), ttl_s=request.ttl_seconds, scopes=list(request.scopes), user=request.user,
            description=request.description,
        )  # fmt: skip
        return _issued(issued)

    @requires("tokens:read")
    async def ListTokens(
        self, request: access_pb2.ListTokensRequest, context: grpc.aio.ServicerContext
    ) -> access_pb2.ListTokensResponse:
        tokens, next_token = await self._credentials.list_tokens(
            current_caller(), user=request.user, include_revoked=request.include_revoked,
            requested_size=request.page_size, token=request.page_token,
        )  # fmt: skip
        return access_pb2.ListTokensResponse(tokens=[_token(t) for t in tokens], next_page_token=next_token)

    @requires("tokens:revoke")
    async def RevokeToken(
        self, request: access_pb2.RevokeTokenRequest, context: grpc.aio.ServicerContext
    ) -> access_pb2.RevokeTokenResponse:
        await self._credentials.revoke_token(current_caller(), request.token_id, request.reason)
        return access_pb2.RevokeTokenResponse()

    @requires("apikeys:create")
    async def CreateApiKey(
        self, request: access_pb2.CreateApiKeyRequest, context: grpc.aio.ServicerContext
    ) -> access_pb2.CreateApiKeyResponse:
        key, secret = await self._credentials.create_api_key(
            current_caller(), name=request.name, scopes=list(request.scopes), ttl_s=request.ttl_seconds
        )
        return access_pb2.CreateApiKeyResponse(api_key=_api_key(key), secret=secret)

    @requires("apikeys:read")
    async def ListApiKeys(
        self, request: access_pb2.ListApiKeysRequest, context: grpc.aio.ServicerContext
    ) -> access_pb2.ListApiKeysResponse:
        keys, next_token = await self._credentials.list_api_keys(
            current_caller(), include_revoked=request.include_revoked, requested_size=request.page_size,
            token=request.page_token,
        )  # fmt: skip
        return access_pb2.ListApiKeysResponse(api_keys=[_api_key(k) for k in keys], next_page_token=next_token)

    @requires("apikeys:revoke")
    async def RevokeApiKey(
        self, request: access_pb2.RevokeApiKeyRequest, context: grpc.aio.ServicerContext
    ) -> access_pb2.RevokeApiKeyResponse:
        await self._credentials.revoke_api_key(current_caller(), request.api_key)
        return access_pb2.RevokeApiKeyResponse()

    @requires("self:read")
    async def ExchangeApiKey(
        self, request: access_pb2.ExchangeApiKeyRequest, context: grpc.aio.ServicerContext
    ) -> access_pb2.IssueTokenResponse:
        return _issued(await self._credentials.exchange_api_key(current_caller(), request.ttl_seconds))


def _issued(issued: IssuedToken) -> access_pb2.IssueTokenResponse:
    return access_pb2.IssueTokenResponse(
        token=issued.token, token_id=issued.token_id, expire_time=timestamp(issued.expires_at),
        scopes=issued.scopes or [],
    )  # fmt: skip


def _token(info: TokenInfo) -> access_pb2.TokenInfo:
    return access_pb2.TokenInfo(
        token_id=info.token_id, user_id=str(info.user_id), scopes=info.scopes or [], description=info.description,
        create_time=timestamp(info.created_at), expire_time=timestamp(info.expires_at),
        revoke_time=timestamp(info.revoked_at),
    )  # fmt: skip


def _api_key(key: ApiKeyInfo) -> access_pb2.ApiKey:
    return access_pb2.ApiKey(
        id=str(key.id), name=key.name, prefix=key.prefix, user_id=str(key.user_id), scopes=key.scopes,
        create_time=timestamp(key.created_at), expire_time=timestamp(key.expires_at),
        last_use_time=timestamp(key.last_used_at), revoke_time=timestamp(key.revoked_at),
    )  # fmt: skip
