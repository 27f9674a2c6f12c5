"""The KMS API's error codes (tencentcloud-sdk-python kms v20190118 errorcodes.py), built in one place."""
from layers.gateway.errors import ApiError


def invalid_key_id(key_id: str) -> ApiError:
    return ApiError("InvalidParameterValue.InvalidKeyId", f"`{key_id}` is not a valid KeyId.")


def cmk_not_found(key_id: str) -> ApiError:
    return ApiError("ResourceUnavailable.CmkNotFound", f"CMK `{key_id}` does not exist.")


def cmk_disabled(key_id: str) -> ApiError:
    return ApiError("ResourceUnavailable.CmkDisabled", f"CMK `{key_id}` is disabled.")


def cmk_state(key_id: str, state: str, operation: str) -> ApiError:
    return ApiError("ResourceUnavailable.CmkStateNotSupport",
                    f"CMK `{key_id}` is {state}: {operation} is not possible in that state.")


def should_be_disabled(key_id: str) -> ApiError:
    return ApiError("ResourceUnavailable.CmkShouldBeDisabled",
                    f"CMK `{key_id}` must be disabled before it is scheduled for deletion.")


def not_pending_delete(key_id: str) -> ApiError:
    return ApiError("ResourceUnavailable.CmkNotPendingDelete", f"CMK `{key_id}` is not pending deletion.")


def invalid_key_usage(key_id: str, usage: str, operation: str) -> ApiError:
    return ApiError("InvalidParameterValue.InvalidKeyUsage",
                    f"CMK `{key_id}` has KeyUsage {usage}, which does not allow {operation}.")


def invalid_ciphertext(why: str) -> ApiError:
    return ApiError("InvalidParameterValue.InvalidCiphertext", f"The ciphertext is invalid: {why}.")


def invalid_plaintext(why: str) -> ApiError:
    return ApiError("InvalidParameterValue.InvalidPlaintext", f"The plaintext is invalid: {why}.")


def decrypt_error(why: str) -> ApiError:
    return ApiError("FailedOperation.DecryptError", f"Decryption failed: {why}.")


def invalid_alias(alias: str, why: str) -> ApiError:
    return ApiError("InvalidParameterValue.InvalidAlias", f"The alias `{alias}` is invalid: {why}.")


def alias_exists(alias: str) -> ApiError:
    return ApiError("InvalidParameterValue.AliasAlreadyExists", f"The alias `{alias}` is already in use.")


def invalid_hsm_cluster(cluster_id: str, why: str) -> ApiError:
    return ApiError("InvalidParameterValue.InvalidHsmClusterId", f"HsmClusterId `{cluster_id}` is invalid: {why}.")


def cmk_archived(key_id: str, operation: str) -> ApiError:
    return ApiError("ResourceUnavailable.CmkArchived",
                    f"CMK `{key_id}` is archived: it only decrypts (and verifies); {operation} is not possible "
                    "until CancelKeyArchive.")


def not_external(key_id: str) -> ApiError:
    return ApiError("UnsupportedOperation.NotExternalCmk",
                    f"CMK `{key_id}` has key material made by KMS: only EXTERNAL CMKs (CreateKey Type 2) take "
                    "imported material.")
