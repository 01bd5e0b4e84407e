import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import type SMTPPool from 'nodemailer/lib/smtp-pool';

import type { SmtpSettings } from './smtpSettings';

/** How a connection was protected, as the credential test reports it. */
export type Protection = 'sslTls' | 'startTls' | 'none';

/** This computer itself: the one place a password may travel unencrypted under Automatic. */
export function isLoopbackHost(host: string): boolean {
	const bare = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
	if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
	if (isIP(bare) === 4) return bare.startsWith('127.');
	return bare === '::1' || /^::ffff:127\./.test(bare);
}

export function usesImplicitTls(settings: SmtpSettings): boolean {
	return settings.connection === 'sslTls' || (settings.connection === 'auto' && settings.port === 465);
}

/**
 * STARTTLS is a must for STARTTLS (Required), and for Automatic towards any host but this
 * computer: a server that offers no encryption (or a network that strips the offer) gets
 * neither the password nor a payslip in the clear. Only Plain Text sends unencrypted.
 */
export function startTlsRequired(settings: SmtpSettings): boolean {
	return settings.connection === 'startTls' || (settings.connection === 'auto' && !isLoopbackHost(settings.host));
}

/** nodemailer's TLS options for the credential's Connection Security and certificate fields. */
export function tlsOptions(settings: SmtpSettings): Partial<SMTPPool.Options> {
	return {
		secure: usesImplicitTls(settings),
		requireTLS: startTlsRequired(settings),
		ignoreTLS: settings.connection === 'plaintext',
		tls: {
			rejectUnauthorized: !settings.allowUnauthorizedCerts,
			// `ca` replaces Node's trust store, so the public roots are handed over too.
			ca: settings.caCertificate ? [...rootCertificates, settings.caCertificate] : undefined,
			servername: settings.tlsServerName || undefined,
		},
	};
}

export function describeProtection(protection: Protection): string {
	return {
		sslTls: 'encrypted with SSL/TLS from the first byte',
		startTls: 'encrypted with STARTTLS',
		none: 'NOT encrypted (Plain Text): the password and the payslips travel readable',
	}[protection];
}
