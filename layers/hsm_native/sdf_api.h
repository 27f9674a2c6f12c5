/*
 * GM/T 0018-2012 (GB/T 36322-2018) SDF interface of libguardzone-pkcs11.so.
 *
 * Types, structures, algorithm identifiers (GM/T 0006) and return codes as the standard defines them;
 * only the functions the library offers are declared (docs/cloudhsm.md, "SDF (GM/T 0018)").
 * Structures use the platform's natural alignment (no #pragma pack): the field offsets are the same
 * as with pack(1) for every structure declared here; only sizeof(ECCCipher) differs (168, not 165).
 * ECCCipher is variable-length: C holds L bytes, so allocate sizeof(ECCCipher) + L bytes (the
 * SDF_ECCCIPHER_SIZE(L) macro below) for an output ciphertext of L bytes.
 * Coordinates and scalars are big-endian, right-aligned in their 64-byte arrays (the first 32 bytes
 * are zero for SM2), as the standard's ECCref_MAX_LEN of 64 requires.
 *
 * The block between the "cdecl" markers is plain declarations (no preprocessor expressions), so
 * the library's build can hand it to cffi unchanged.
 */
#ifndef GUARDZONE_SDF_API_H
#define GUARDZONE_SDF_API_H

#ifdef __cplusplus
extern "C" {
#endif

/* cdecl-begin */
#define ECCref_MAX_BITS 512
#define ECCref_MAX_LEN 64

/* GM/T 0006 algorithm identifiers used by this library */
#define SGD_SM4_ECB 0x00000401
#define SGD_SM4_CBC 0x00000402
#define SGD_SM4_MAC 0x00000410
#define SGD_SM2 0x00020100
#define SGD_SM2_1 0x00020200
#define SGD_SM2_2 0x00020400
#define SGD_SM2_3 0x00020800
#define SGD_SM3 0x00000001
#define SGD_SHA256 0x00000004

/* GM/T 0018 return codes (SDR_BASE = 0x01000000) */
#define SDR_OK 0x00000000
#define SDR_BASE 0x01000000
#define SDR_UNKNOWERR 0x01000001
#define SDR_NOTSUPPORT 0x01000002
#define SDR_COMMFAIL 0x01000003
#define SDR_HARDFAIL 0x01000004
#define SDR_OPENDEVICE 0x01000005
#define SDR_OPENSESSION 0x01000006
#define SDR_PARDENY 0x01000007
#define SDR_KEYNOTEXIST 0x01000008
#define SDR_ALGNOTSUPPORT 0x01000009
#define SDR_ALGMODNOTSUPPORT 0x0100000A
#define SDR_PKOPERR 0x0100000B
#define SDR_SKOPERR 0x0100000C
#define SDR_SIGNERR 0x0100000D
#define SDR_VERIFYERR 0x0100000E
#define SDR_SYMOPERR 0x0100000F
#define SDR_STEPERR 0x01000010
#define SDR_FILESIZEERR 0x01000011
#define SDR_FILENOEXIST 0x01000012
#define SDR_FILEOFSERR 0x01000013
#define SDR_KEYTYPEERR 0x01000014
#define SDR_KEYERR 0x01000015
#define SDR_ENCDATAERR 0x01000016
#define SDR_RANDERR 0x01000017
#define SDR_PRKRERR 0x01000018
#define SDR_MACERR 0x01000019
#define SDR_FILEEXSITS 0x0100001A
#define SDR_FILEWERR 0x0100001B
#define SDR_NOBUFFER 0x0100001C
#define SDR_INARGERR 0x0100001D
#define SDR_OUTARGERR 0x0100001E

/* Size of the wrapped key SDF_GenerateKeyWithKEK writes (a KMS CiphertextBlob of a 16-byte key) */
#define SDF_KEK_BLOB_LEN 88

typedef struct DeviceInfo_st {
    unsigned char IssuerName[40];
    unsigned char DeviceName[16];
    unsigned char DeviceSerial[16];
    unsigned int DeviceVersion;
    unsigned int StandardVersion;
    unsigned int AsymAlgAbility[2];
    unsigned int SymAlgAbility;
    unsigned int HashAlgAbility;
    unsigned int BufferSize;
} DEVICEINFO;

typedef struct ECCrefPublicKey_st {
    unsigned int bits;
    unsigned char x[64];
    unsigned char y[64];
} ECCrefPublicKey;

typedef struct ECCrefPrivateKey_st {
    unsigned int bits;
    unsigned char K[64];
} ECCrefPrivateKey;

typedef struct ECCCipher_st {
    unsigned char x[64];
    unsigned char y[64];
    unsigned char M[32];
    unsigned int L;
    unsigned char C[1];
} ECCCipher;

typedef struct ECCSignature_st {
    unsigned char r[64];
    unsigned char s[64];
} ECCSignature;

int SDF_OpenDevice(void **phDeviceHandle);
int SDF_CloseDevice(void *hDeviceHandle);
int SDF_OpenSession(void *hDeviceHandle, void **phSessionHandle);
int SDF_CloseSession(void *hSessionHandle);
int SDF_GetDeviceInfo(void *hSessionHandle, DEVICEINFO *pstDeviceInfo);
int SDF_GenerateRandom(void *hSessionHandle, unsigned int uiLength, unsigned char *pucRandom);
int SDF_GetPrivateKeyAccessRight(void *hSessionHandle, unsigned int uiKeyIndex,
                                 unsigned char *pucPassword, unsigned int uiPwdLength);
int SDF_ReleasePrivateKeyAccessRight(void *hSessionHandle, unsigned int uiKeyIndex);

int SDF_ExportSignPublicKey_ECC(void *hSessionHandle, unsigned int uiKeyIndex, ECCrefPublicKey *pucPublicKey);
int SDF_ExportEncPublicKey_ECC(void *hSessionHandle, unsigned int uiKeyIndex, ECCrefPublicKey *pucPublicKey);
int SDF_GenerateKeyPair_ECC(void *hSessionHandle, unsigned int uiAlgID, unsigned int uiKeyBits,
                            ECCrefPublicKey *pucPublicKey, ECCrefPrivateKey *pucPrivateKey);
int SDF_GenerateKeyWithIPK_ECC(void *hSessionHandle, unsigned int uiIPKIndex, unsigned int uiKeyBits,
                               ECCCipher *pucKey, void **phKeyHandle);
int SDF_GenerateKeyWithEPK_ECC(void *hSessionHandle, unsigned int uiKeyBits, unsigned int uiAlgID,
                               ECCrefPublicKey *pucPublicKey, ECCCipher *pucKey, void **phKeyHandle);
int SDF_ImportKeyWithISK_ECC(void *hSessionHandle, unsigned int uiISKIndex, ECCCipher *pucKey,
                             void **phKeyHandle);
int SDF_GenerateKeyWithKEK(void *hSessionHandle, unsigned int uiKeyBits, unsigned int uiAlgID,
                           unsigned int uiKEKIndex, unsigned char *pucKey, unsigned int *puiKeyLength,
                           void **phKeyHandle);
int SDF_ImportKeyWithKEK(void *hSessionHandle, unsigned int uiAlgID, unsigned int uiKEKIndex,
                         unsigned char *pucKey, unsigned int uiKeyLength, void **phKeyHandle);
int SDF_DestroyKey(void *hSessionHandle, void *hKeyHandle);

int SDF_ExternalVerify_ECC(void *hSessionHandle, unsigned int uiAlgID, ECCrefPublicKey *pucPublicKey,
                           unsigned char *pucDataInput, unsigned int uiInputLength, ECCSignature *pucSignature);
int SDF_InternalSign_ECC(void *hSessionHandle, unsigned int uiISKIndex, unsigned char *pucData,
                         unsigned int uiDataLength, ECCSignature *pucSignature);
int SDF_InternalVerify_ECC(void *hSessionHandle, unsigned int uiIPKIndex, unsigned char *pucData,
                           unsigned int uiDataLength, ECCSignature *pucSignature);
int SDF_ExternalEncrypt_ECC(void *hSessionHandle, unsigned int uiAlgID, ECCrefPublicKey *pucPublicKey,
                            unsigned char *pucData, unsigned int uiDataLength, ECCCipher *pucEncData);
int SDF_InternalEncrypt_ECC(void *hSessionHandle, unsigned int uiIPKIndex, unsigned int uiAlgID,
                            unsigned char *pucData, unsigned int uiDataLength, ECCCipher *pucEncData);
int SDF_InternalDecrypt_ECC(void *hSessionHandle, unsigned int uiISKIndex, unsigned int uiAlgID,
                            ECCCipher *pucEncData, unsigned char *pucData, unsigned int *puiDataLength);

int SDF_Encrypt(void *hSessionHandle, void *hKeyHandle, unsigned int uiAlgID, unsigned char *pucIV,
                unsigned char *pucData, unsigned int uiDataLength, unsigned char *pucEncData,
                unsigned int *puiEncDataLength);
int SDF_Decrypt(void *hSessionHandle, void *hKeyHandle, unsigned int uiAlgID, unsigned char *pucIV,
                unsigned char *pucEncData, unsigned int uiEncDataLength, unsigned char *pucData,
                unsigned int *puiDataLength);
int SDF_CalculateMAC(void *hSessionHandle, void *hKeyHandle, unsigned int uiAlgID, unsigned char *pucIV,
                     unsigned char *pucData, unsigned int uiDataLength, unsigned char *pucMAC,
                     unsigned int *puiMACLength);

int SDF_HashInit(void *hSessionHandle, unsigned int uiAlgID, ECCrefPublicKey *pucPublicKey,
                 unsigned char *pucID, unsigned int uiIDLength);
int SDF_HashUpdate(void *hSessionHandle, unsigned char *pucData, unsigned int uiDataLength);
int SDF_HashFinal(void *hSessionHandle, unsigned char *pucHash, unsigned int *puiHashLength);
/* cdecl-end */

#define SDF_ECCCIPHER_SIZE(L) (sizeof(ECCCipher) - 1 + (L))

#ifdef __cplusplus
}
#endif
#endif
