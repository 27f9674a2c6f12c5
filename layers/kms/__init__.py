"""The KMS-shaped data plane (service `kms`, 2019-01-18) over the key hierarchy in layers.keystore.

    keys            finding a caller's key, its lifecycle, its material, rotation
    data_keys       hosted data keys (sealed under their CMK), their lifecycle and view
    usages          KeyUsage -> material, algorithms, ListAlgorithms
    material        generating, serialising and loading key material
    blob            the CiphertextBlob format (self-describing, tamper-evident)
    signing         SignByAsymmetricKey / VerifyByAsymmetricKey algorithms
    public_encrypt  EncryptionPublicKey for Decrypt / GenerateDataKey
    params          shared parameter structures and value checks
    view            KeyMetadata
    errors          the API's error codes
"""
