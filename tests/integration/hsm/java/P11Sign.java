// Java's SunPKCS11 provider over libguardzone-pkcs11.so: generates RSA 2048 and P-256 key pairs in the
// VSM, signs with them there, and verifies both through the token and with the JDK's own provider.
// usage: java P11Sign <SunPKCS11 config file> <PIN>
import java.security.*;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.X509EncodedKeySpec;

public class P11Sign {
    public static void main(String[] args) throws Exception {
        Provider p = Security.getProvider("SunPKCS11").configure(args[0]);
        KeyStore ks = KeyStore.getInstance("PKCS11", p);
        ks.load(null, args[1].toCharArray());                       // C_Login
        byte[] data = "hello from SunPKCS11".getBytes("UTF-8");
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA", p);
        rsa.initialize(2048);
        check(p, rsa.generateKeyPair(), "SHA256withRSA", "RSA", data);
        KeyPairGenerator ec = KeyPairGenerator.getInstance("EC", p);
        ec.initialize(new ECGenParameterSpec("secp256r1"));
        check(p, ec.generateKeyPair(), "SHA256withECDSA", "EC", data);
    }

    static void check(Provider p, KeyPair kp, String alg, String kind, byte[] data) throws Exception {
        Signature s = Signature.getInstance(alg, p);
        s.initSign(kp.getPrivate());
        s.update(data);
        byte[] sig = s.sign();
        Signature v = Signature.getInstance(alg, p);
        v.initVerify(kp.getPublic());
        v.update(data);
        boolean token = v.verify(sig);
        PublicKey plain = KeyFactory.getInstance(kind).generatePublic(new X509EncodedKeySpec(kp.getPublic().getEncoded()));
        Signature j = Signature.getInstance(alg, kind.equals("RSA") ? "SunRsaSign" : "SunEC");     // the JDK alone
        j.initVerify(plain);
        j.update(data);
        boolean jdk = j.verify(sig);
        j.initVerify(plain);
        j.update("tampered".getBytes("UTF-8"));
        boolean tampered = j.verify(sig);
        System.out.println(alg + " token=" + token + " jdk=" + jdk + " tampered=" + tampered);
    }
}
