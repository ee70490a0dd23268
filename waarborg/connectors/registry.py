"""The connectors of the systems the policy lists (``systems:``; the vault alone by default)."""

from __future__ import annotations

from waarborg.connectors.base import Connector
from waarborg.connectors.vault import VaultConnector
from waarborg.connectors.webhook import WebhookConnector
from waarborg.policy.rules import policy_systems
from waarborg.policy.schema import I18n
from waarborg.policy.selectors import policy_current


def systems_for(operation: str) -> list[str]:
    """The keys of the systems that carry out ``operation``, in the policy's order."""
    systems = policy_systems(policy_current().policy)
    return [k for k, s in systems.items() if operation in s.operations]


def system_name(key: str) -> I18n | None:
    system = policy_systems(policy_current().policy).get(key)
    return system.name if system else None


def connector_get(key: str) -> Connector | None:
    """The connector of system ``key``; None when the policy no longer lists it."""
    system = policy_systems(policy_current().policy).get(key)
    if system is None:
        return None
    if system.connector == "vault":
        return VaultConnector()
    return WebhookConnector(key, system)


def vault_key() -> str:
    """The key of the vault among the systems."""
    systems = policy_systems(policy_current().policy)
    return next((k for k, s in systems.items() if s.connector == "vault"), "vault")
