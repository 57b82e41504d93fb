"""Privacy: the one home for encryption at rest, blind indexes, contact normalising and log scrubbing.

- `privacy.keys`     where the data keys come from (environment, else a generated development key file)
- `privacy.crypto`   `DataCipher`: Fernet (AES-128-CBC + HMAC) with rotation, and keyed blind indexes
- `privacy.contact`  the one phone (E.164) / email normaliser, and contact blind indexes
- `python -m privacy new-key | rotate`   a fresh key; re-encryption under the newest key
"""
