import fc from 'fast-check';

import { SecretScrubber } from '../../nodes/PayrollMail/core/secretScrubber';
import { readSmtpSettings } from '../../nodes/PayrollMail/transport/smtp/smtpSettings';
import { credentialScrubber } from '../../nodes/PayrollMail/transport/smtp/smtpTransport';
import { findLeaks, randomSecret } from '../support/secretLeaks';

/** Every way a server or token endpoint has been seen to hand a secret back, around `secret`. */
function echoes(secret: string, user: string, prefix: Buffer, suffix: Buffer): string[] {
	const base64 = (bytes: Buffer) => bytes.toString('base64');
	const wrapped = Buffer.concat([prefix, Buffer.from(secret), suffix]);
	return [
		`535 5.7.8 ${secret} is wrong`,
		`{"error":"invalid_client","error_description":${JSON.stringify(`secret ${secret} rejected`)}}`,
		`error=invalid_grant&client_secret=${encodeURIComponent(secret)}&refresh_token=x`,
		`client_secret=${encodeURIComponent(secret).replace(/%20/g, '+')}`,
		`q=${new URLSearchParams({ s: secret }).toString()}`,
		`payload ${base64(wrapped)} end`,
		`payload ${wrapped.toString('base64url')}`,
		`535 5.7.8 Authentication failed: ${base64(Buffer.from(`\0${user}\0${secret}`))}`,
		`535 5.7.8 ${base64(Buffer.from(`${user}\0${user}\0${secret}`))}`,
		`334 ${base64(Buffer.from(secret))}`,
		`535 ${base64(Buffer.from(`user=${user}\x01auth=Bearer ${secret}\x01\x01`))}`,
		`hex ${Buffer.from(secret).toString('hex')} and ${Buffer.from(secret).toString('hex').toUpperCase()}`,
	];
}

describe('SecretScrubber', () => {
	it('removes a secret from every echo a server or token endpoint makes, at every base64 alignment', () => {
		fc.assert(
			fc.property(
				fc.constant(null).map(() => randomSecret()),
				fc.string({ minLength: 1, maxLength: 7 }),
				fc.uint8Array({ maxLength: 5 }),
				fc.uint8Array({ maxLength: 5 }),
				(secret, user, prefix, suffix) => {
					const scrubber = new SecretScrubber([secret]);
					for (const echo of echoes(secret, user, Buffer.from(prefix), Buffer.from(suffix))) {
						expect(findLeaks(scrubber.scrub(echo), [secret])).toEqual([]);
					}
				},
			),
			{ numRuns: 500 },
		);
	});

	it('finds a short password in SASL strings through the credential\'s whole-string forms', () => {
		const settings = readSmtpSettings({ host: 'smtp.example.com', authMethod: 'plain', user: 'ab', password: 'p1' });
		const scrubber = credentialScrubber(settings);
		const plain = Buffer.from('\0ab\0p1').toString('base64');
		expect(scrubber.scrub(`535 5.7.8 ${plain} refused`)).toBe('535 5.7.8 *** refused');
	});

	it('learns a secret found during the run, such as a refreshed access token', () => {
		const scrubber = new SecretScrubber(['first-secret-value']);
		const token = randomSecret();
		scrubber.learn(token);
		expect(findLeaks(scrubber.scrub(`250 ok ${token}`), [token])).toEqual([]);
		expect(findLeaks(scrubber.scrubDeep({ error: { message: `first-secret-value ${token}` } }).error.message, ['first-secret-value', token])).toEqual([]);
	});

	it('scrubs with an item\'s own extra secret without changing the run\'s scrubber', () => {
		const scrubber = new SecretScrubber(['run-wide-secret']);
		const withPdfPassword = scrubber.with('1985-03-12-anna');
		expect(withPdfPassword.scrub('could not encrypt with 1985-03-12-anna')).toBe('could not encrypt with ***');
		expect(scrubber.scrub('1985-03-12-anna')).toBe('1985-03-12-anna');
		expect(scrubber.with(undefined)).toBe(scrubber);
	});

	it('leaves text without secrets as it is', () => {
		const scrubber = new SecretScrubber([randomSecret(), randomSecret()]);
		for (const text of ['250 2.0.0 Ok: queued as 4F2A1B3C9D', '550 5.1.1 <anna@corp.example>: user unknown', 'Lohnabrechnung März 2026']) {
			expect(scrubber.scrub(text)).toBe(text);
		}
	});
});
