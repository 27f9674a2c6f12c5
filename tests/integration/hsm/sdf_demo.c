/* Calls the GM/T 0018 SDF functions of libguardzone-pkcs11.so the way an SDF application does.
 * usage: sdf_demo PASSWORD MESSAGE   (the config file comes from GUARDZONE_PKCS11_CONF)
 * Prints name=value lines (hex for bytes, rv_<step>=0x........ for return codes); exit status 0. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sdf_api.h"

static void hex(const char *name, const unsigned char *p, unsigned int n)
{
    printf("%s=", name);
    for (unsigned int i = 0; i < n; i++) printf("%02x", p[i]);
    printf("\n");
}

#define RV(step, call) do { int _rv = (call); printf("rv_%s=0x%08X\n", step, (unsigned)_rv); } while (0)
#define MUST(step, call) do { int _rv = (call); printf("rv_%s=0x%08X\n", step, (unsigned)_rv); \
    if (_rv != SDR_OK) { fflush(stdout); return 1; } } while (0)

int main(int argc, char **argv)
{
    void *dev = NULL, *ses = NULL, *k_ipk = NULL, *k_isk = NULL, *k_kek = NULL, *k_imp = NULL;
    const char *pw = argv[1], *msg = argv[2];
    unsigned char id[] = "1234567812345678";
    DEVICEINFO info;
    ECCrefPublicKey pub;
    ECCSignature sig;
    unsigned char rnd[32], e[32], abc[32], blob[128], iv[16], iv2[16];
    unsigned char plain[32], ct[32], back[32], mac[16];
    unsigned int len = 0, blob_len = 0, ct_len = 0, back_len = 0, mac_len = 0;
    ECCCipher *wrapped = calloc(1, SDF_ECCCIPHER_SIZE(32));
    ECCCipher *sm2ct = calloc(1, SDF_ECCCIPHER_SIZE(32));

    if (argc != 3) return 2;
    MUST("open_device", SDF_OpenDevice(&dev));
    MUST("open_session", SDF_OpenSession(dev, &ses));
    MUST("access", SDF_GetPrivateKeyAccessRight(ses, 1, (unsigned char *)pw, (unsigned int)strlen(pw)));
    MUST("device_info", SDF_GetDeviceInfo(ses, &info));
    printf("issuer=%.40s\n", (char *)info.IssuerName);
    MUST("random", SDF_GenerateRandom(ses, sizeof rnd, rnd));
    hex("random", rnd, sizeof rnd);

    /* SM2 signature: e = SM3(Z || M) by the SDF hash, signed by internal key 1 */
    MUST("export_sign", SDF_ExportSignPublicKey_ECC(ses, 1, &pub));
    printf("pub_bits=%u\n", pub.bits);
    hex("pub_x", pub.x, 64);
    hex("pub_y", pub.y, 64);
    MUST("hash_init_z", SDF_HashInit(ses, SGD_SM3, &pub, id, 16));
    MUST("hash_update_z", SDF_HashUpdate(ses, (unsigned char *)msg, (unsigned int)strlen(msg)));
    MUST("hash_final_z", SDF_HashFinal(ses, e, &len));
    hex("e", e, len);
    MUST("sign", SDF_InternalSign_ECC(ses, 1, e, 32, &sig));
    hex("sig_r", sig.r, 64);
    hex("sig_s", sig.s, 64);
    RV("internal_verify", SDF_InternalVerify_ECC(ses, 1, e, 32, &sig));
    RV("external_verify", SDF_ExternalVerify_ECC(ses, SGD_SM2_1, &pub, e, 32, &sig));
    sig.s[63] ^= 1;
    RV("verify_tampered", SDF_ExternalVerify_ECC(ses, SGD_SM2_1, &pub, e, 32, &sig));

    /* SM3 of "abc" without Z */
    MUST("hash_init", SDF_HashInit(ses, SGD_SM3, NULL, NULL, 0));
    MUST("hash_update", SDF_HashUpdate(ses, (unsigned char *)"abc", 3));
    MUST("hash_final", SDF_HashFinal(ses, abc, &len));
    hex("sm3_abc", abc, len);

    /* SM2 encryption with internal key 1 */
    memset(plain, 0x5a, sizeof plain);
    MUST("internal_encrypt", SDF_InternalEncrypt_ECC(ses, 1, SGD_SM2_3, plain, 32, sm2ct));
    printf("sm2_L=%u\n", sm2ct->L);
    MUST("internal_decrypt", SDF_InternalDecrypt_ECC(ses, 1, SGD_SM2_3, sm2ct, back, &back_len));
    printf("sm2_roundtrip=%d\n", back_len == 32 && memcmp(back, plain, 32) == 0);

    /* session keys: under the internal SM2 key (IPK/ISK) and under KEK 1 */
    MUST("gen_ipk", SDF_GenerateKeyWithIPK_ECC(ses, 1, 128, wrapped, &k_ipk));
    MUST("imp_isk", SDF_ImportKeyWithISK_ECC(ses, 1, wrapped, &k_isk));
    memcpy(plain, "SDF says hello to the VSM, 32 b.", 32);
    memset(iv, 0x11, 16);
    memcpy(iv2, iv, 16);
    MUST("sm4_cbc_enc", SDF_Encrypt(ses, k_ipk, SGD_SM4_CBC, iv, plain, 32, ct, &ct_len));
    MUST("sm4_cbc_dec", SDF_Decrypt(ses, k_isk, SGD_SM4_CBC, iv2, ct, ct_len, back, &back_len));
    printf("cbc_roundtrip=%d\n", back_len == 32 && memcmp(back, plain, 32) == 0);
    printf("cbc_iv_chained=%d\n", memcmp(iv, ct + 16, 16) == 0);

    MUST("gen_kek", SDF_GenerateKeyWithKEK(ses, 128, SGD_SM4_ECB, 1, blob, &blob_len, &k_kek));
    hex("kek_blob", blob, blob_len);
    MUST("imp_kek", SDF_ImportKeyWithKEK(ses, SGD_SM4_ECB, 1, blob, blob_len, &k_imp));
    MUST("sm4_ecb_enc", SDF_Encrypt(ses, k_kek, SGD_SM4_ECB, NULL, plain, 32, ct, &ct_len));
    hex("ecb_plain", plain, 32);
    hex("ecb_ct", ct, ct_len);
    MUST("sm4_ecb_dec", SDF_Decrypt(ses, k_imp, SGD_SM4_ECB, NULL, ct, ct_len, back, &back_len));
    printf("ecb_roundtrip=%d\n", back_len == 32 && memcmp(back, plain, 32) == 0);
    MUST("mac", SDF_CalculateMAC(ses, k_kek, SGD_SM4_MAC, NULL, plain, 32, mac, &mac_len));
    hex("mac", mac, mac_len);

    MUST("destroy", SDF_DestroyKey(ses, k_kek));
    RV("use_destroyed", SDF_Encrypt(ses, k_kek, SGD_SM4_ECB, NULL, plain, 16, ct, &ct_len));
    MUST("close_session", SDF_CloseSession(ses));
    RV("after_close", SDF_GenerateRandom(ses, 16, rnd));
    MUST("close_device", SDF_CloseDevice(dev));
    free(wrapped);
    free(sm2ct);
    return 0;
}
