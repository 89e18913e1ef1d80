"""Indexes the registry search needs on the card table (the table itself is
:class:`portal.cards.models.Card`, owned by the cards feature).

A status filter adds the date condition that status implies
(:func:`portal.registry.queries._status_condition`); these indexes serve those conditions, so
a filtered search reads the few cards of that status instead of every card:

* 即将到期 — ``valid_until`` between today and 90 days on (a covering index);
* 已作废 — ``voided_on <= today``; 已注销 — ``revoked_on <= today``; 已换证 — ``superseded_on <= today``;
* 待领取 — awaiting collection (the cards feature's partial index
  ``ix_card_awaiting_collection``) or an event dated after today.

The single-date indexes are **partial** (``WHERE x IS NOT NULL``) on purpose: without ANALYZE statistics SQLite
takes ``x IS NULL`` on a full index for a selective lookup, and a full index on
``revoked_on`` made the void sweep's lookup (``… revoked_on IS NULL …``) scan the table.
A partial index cannot serve ``IS NULL``, so those queries keep their own index. Declared here,
next to the queries that need them; created by migrations ``b7e2d4f1a3c5`` and
``d3a91c7e5b20`` (``superseded_on``).
"""

from sqlalchemy import Index

from portal.cards.models import Card

REGISTRY_CARD_INDEXES = tuple(
    Index(f"ix_card_{column.key}", column, sqlite_where=column.is_not(None),
          postgresql_where=column.is_not(None))
    for column in (Card.collected_on, Card.voided_on, Card.revoked_on, Card.superseded_on)
)

#: 即将到期: ``valid_until`` range covering the event dates and the holder (index-only).
REGISTRY_CARD_VALIDITY_INDEX = Index(
    "ix_card_valid_until_dates", Card.valid_until, Card.collected_on, Card.voided_on,
    Card.revoked_on, Card.person_id,
)
