import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface KeyPair {
	key: string;
	cert: string;
}

export interface TestCertificates {
	/** The private CA a company relay would use. */
	ca: KeyPair;
	/** Issued by the CA for the address 127.0.0.1. */
	forLoopbackIp: KeyPair;
	/** Issued by the CA for the name mail.payroll.test only. */
	forHostName: KeyPair;
	/** Signed by itself, trusted by nobody. */
	selfSigned: KeyPair;
}

export const TEST_HOST_NAME = 'mail.payroll.test';

/** Makes a CA and server certificates with the openssl command, as an administrator would. */
export function makeTestCertificates(): TestCertificates {
	const dir = mkdtempSync(join(tmpdir(), 'payroll-mail-certs-'));
	const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
	const read = (name: string): KeyPair => ({
		key: readFileSync(join(dir, `${name}.key`), 'utf8'),
		cert: readFileSync(join(dir, `${name}.crt`), 'utf8'),
	});
	const newKey = (name: string) => openssl('genrsa', '-out', `${name}.key`, '2048');
	try {
		newKey('ca');
		openssl('req', '-x509', '-new', '-key', 'ca.key', '-sha256', '-days', '2', '-subj', '/CN=Payroll Test CA', '-out', 'ca.crt');
		const issue = (name: string, subjectAltName: string) => {
			newKey(name);
			openssl('req', '-new', '-key', `${name}.key`, '-subj', `/CN=${name}`, '-out', `${name}.csr`);
			writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${subjectAltName}\n`);
			openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
				'-days', '2', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.crt`);
		};
		issue('loopback', 'IP:127.0.0.1');
		issue('hostname', `DNS:${TEST_HOST_NAME}`);
		newKey('self');
		openssl('req', '-x509', '-new', '-key', 'self.key', '-sha256', '-days', '2', '-subj', '/CN=self-signed',
			'-addext', 'subjectAltName=IP:127.0.0.1', '-out', 'self.crt');
		return { ca: read('ca'), forLoopbackIp: read('loopback'), forHostName: read('hostname'), selfSigned: read('self') };
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}
