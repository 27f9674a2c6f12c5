/* C-only part of the PKCS#11 exports: the function table and C_GetFunctionList (no Python needed). */
CK_RV C_GetFunctionList(CK_FUNCTION_LIST **ppFunctionList);
static CK_FUNCTION_LIST gz_function_list = { {2, 40},
    (void *)C_Initialize, (void *)C_Finalize, (void *)C_GetInfo, (void *)C_GetFunctionList, (void *)C_GetSlotList, (void *)C_GetSlotInfo, (void *)C_GetTokenInfo, (void *)C_GetMechanismList, (void *)C_GetMechanismInfo, (void *)C_InitToken, (void *)C_InitPIN, (void *)C_SetPIN, (void *)C_OpenSession, (void *)C_CloseSession, (void *)C_CloseAllSessions, (void *)C_GetSessionInfo, (void *)C_GetOperationState, (void *)C_SetOperationState, (void *)C_Login, (void *)C_Logout, (void *)C_CreateObject, (void *)C_CopyObject, (void *)C_DestroyObject, (void *)C_GetObjectSize, (void *)C_GetAttributeValue, (void *)C_SetAttributeValue, (void *)C_FindObjectsInit, (void *)C_FindObjects, (void *)C_FindObjectsFinal, (void *)C_EncryptInit, (void *)C_Encrypt, (void *)C_EncryptUpdate, (void *)C_EncryptFinal, (void *)C_DecryptInit, (void *)C_Decrypt, (void *)C_DecryptUpdate, (void *)C_DecryptFinal, (void *)C_DigestInit, (void *)C_Digest, (void *)C_DigestUpdate, (void *)C_DigestKey, (void *)C_DigestFinal, (void *)C_SignInit, (void *)C_Sign, (void *)C_SignUpdate, (void *)C_SignFinal, (void *)C_SignRecoverInit, (void *)C_SignRecover, (void *)C_VerifyInit, (void *)C_Verify, (void *)C_VerifyUpdate, (void *)C_VerifyFinal, (void *)C_VerifyRecoverInit, (void *)C_VerifyRecover, (void *)C_DigestEncryptUpdate, (void *)C_DecryptDigestUpdate, (void *)C_SignEncryptUpdate, (void *)C_DecryptVerifyUpdate, (void *)C_GenerateKey, (void *)C_GenerateKeyPair, (void *)C_WrapKey, (void *)C_UnwrapKey, (void *)C_DeriveKey, (void *)C_SeedRandom, (void *)C_GenerateRandom, (void *)C_GetFunctionStatus, (void *)C_CancelFunction, (void *)C_WaitForSlotEvent };
__attribute__((visibility("default"))) CK_RV C_GetFunctionList(CK_FUNCTION_LIST **ppFunctionList)
{
    if (ppFunctionList == 0) return 7; /* CKR_ARGUMENTS_BAD */
    *ppFunctionList = &gz_function_list;
    return 0;
}

/* PKCS#11 3.0 discovery: one interface, "PKCS 11", whose table is the v2.40 function list above
 * (a 3.0 client then speaks 2.40 to it, as the standard allows). */
typedef struct CK_INTERFACE { CK_CHAR *pInterfaceName; void *pFunctionList; CK_FLAGS flags; } CK_INTERFACE;
static CK_INTERFACE gz_interface = { (CK_CHAR *)"PKCS 11", &gz_function_list, 0 };

__attribute__((visibility("default"))) CK_RV C_GetInterfaceList(CK_INTERFACE *pInterfacesList, CK_ULONG *pulCount)
{
    if (pulCount == 0) return 7;                       /* CKR_ARGUMENTS_BAD */
    if (pInterfacesList == 0) { *pulCount = 1; return 0; }
    if (*pulCount < 1) { *pulCount = 1; return 0x150; } /* CKR_BUFFER_TOO_SMALL */
    pInterfacesList[0] = gz_interface;
    *pulCount = 1;
    return 0;
}

__attribute__((visibility("default"))) CK_RV C_GetInterface(CK_UTF8CHAR *pInterfaceName, CK_VERSION *pVersion,
                                                            CK_INTERFACE **ppInterface, CK_FLAGS flags)
{
    const char *name = "PKCS 11";
    int i;
    if (ppInterface == 0) return 7;                    /* CKR_ARGUMENTS_BAD */
    *ppInterface = 0;
    if (pInterfaceName != 0)
        for (i = 0; i < 8; i++)
            if (pInterfaceName[i] != (CK_UTF8CHAR)name[i]) return 7;
    if (pVersion != 0 && (pVersion->major != 2 || pVersion->minor != 40)) return 7;
    if (flags & ~gz_interface.flags) return 7;         /* no fork-safe or other flagged interface */
    *ppInterface = &gz_interface;
    return 0;
}
