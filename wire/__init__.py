"""What the hub and the party SDK share: the wire format of Lifeline Hub.

Imports neither ``hub`` nor ``connectors`` (tests/test_wire.py checks), so a partner
installs the SDK without the server, and neither side restates the other:

- ``identity``: the party identity in a certificate's SAN URI, roles, jurisdictions;
- ``signed``, ``claim_types``, ``claims``: signed, selectively disclosed messages;
- ``outcomes``: which roles take which kind of work, and which outcomes end it;
- ``reasons``: every ErrorInfo reason; ``errors``: the root of the SDK's error tree;
- ``enums``: IntEnum wrappers over the proto enums;
- ``requests``: the bound on a mutation's request_id;
- ``wording``: how the hub and the desks' tools say things to people.
"""
