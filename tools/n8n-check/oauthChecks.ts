/**
 * The "Payroll Mail SMTP OAuth2 API" credential in real n8n, for a year of monthly runs: a
 * credential connected once (its tokens imported as the Connect button would have stored them),
 * a loopback token endpoint that rotates the refresh token at every use and refuses a used one,
 * and a loopback SMTP server (STARTTLS) that takes XOAUTH2 only with a token that endpoint issued.
 * Twelve runs by `n8n execute`; each must refresh with the refresh token the run before left in
 * n8n's database, and the last rotated one must be there at the end.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { makeTestCertificates } from '../../test/support/certificates';
import { OAuthServer } from '../../test/support/oauthServer';
import { TestSmtpServer } from '../../test/support/testSmtpServer';
import type { N8nInstance } from './n8nInstance';
import { payslipRunWorkflow, SENDER } from './payrollWorkflow';
import type { TargetReport } from './report';
import { parseRunOutput } from './verifyRun';

const MONTHS = 12;
const MAILBOX = 'payroll@contoso.example';
const CLIENT = { clientId: 'payroll-app', clientSecret: 'client-secret-7731' };
const FIRST_REFRESH_TOKEN = 'rt-from-consent';
// n8n ids are 16 characters.
const CREDENTIAL = { id: 'PayrollOAuth2Chk', name: 'Payroll Mail (loopback Microsoft 365)' };
const WORKFLOW_ID = 'PayrollOAuth2Wfl';
const STAFF = ['anna', 'ben', 'chris'].map((name) => ({ name, email: `${name}@contoso.example` }));

function credentialFile(oauth: OAuthServer, smtpPort: number, caCertificate: string) {
	return [
		{
			...CREDENTIAL,
			type: 'payrollSmtpOAuth2Api',
			data: {
				provider: 'custom',
				grantType: 'authorizationCode',
				customAuthUrl: 'http://127.0.0.1:9/authorize',
				customAccessTokenUrl: oauth.url,
				customScope: 'https://outlook.office.com/SMTP.Send offline_access',
				customAuthentication: 'body',
				...CLIENT,
				user: MAILBOX,
				host: '127.0.0.1',
				port: smtpPort,
				connection: 'startTls',
				caCertificate,
				// What n8n stored when the clerk clicked "Connect my account", a month ago.
				oauthTokenData: { access_token: 'at-from-consent', refresh_token: FIRST_REFRESH_TOKEN, token_type: 'Bearer' },
			},
		},
	];
}

function workflowFile() {
	return payslipRunWorkflow({ id: WORKFLOW_ID, name: 'Payroll Mail, monthly, Microsoft 365 OAuth2' }, STAFF, {
		parameters: {
			authentication: 'oAuth2',
			fromEmail: SENDER,
			toEmail: '={{ $json.email }}',
			subject: '=Your payslip for {{ $json.period }}',
			text: '=Hello {{ $json.name }}',
		},
		credentials: { payrollSmtpOAuth2Api: CREDENTIAL },
	});
}

/** Runs with n8n stopped: every step is an n8n CLI command on the user folder. */
export async function oauthChecks(report: TargetReport, instance: N8nInstance): Promise<void> {
	const certificates = makeTestCertificates();
	// A token n8n thinks has under 5 minutes left is renewed by the node: every run refreshes.
	const oauth = await OAuthServer.start({ ...CLIENT, firstRefreshToken: FIRST_REFRESH_TOKEN, tokenLifetimeSeconds: 301 });
	const smtp = await TestSmtpServer.start({
		tls: 'starttls',
		certificate: certificates.forLoopbackIp,
		authMethods: ['XOAUTH2'],
		authRequired: true,
		acceptsAccessToken: (user, token) => user === MAILBOX && oauth.accepts(token),
		authFailureText: () => '5.7.3 Authentication unsuccessful',
	});
	try {
		const files = { credentials: join(instance.userFolder, 'oauth-credential.json'), workflow: join(instance.userFolder, 'oauth-workflow.json') };
		writeFileSync(files.credentials, JSON.stringify(credentialFile(oauth, smtp.port, certificates.ca.cert)));
		writeFileSync(files.workflow, JSON.stringify([workflowFile()]));
		await report.step('OAuth2 credential (connected) and monthly workflow imported by the n8n CLI', async () => {
			for (const args of [['import:credentials', `--input=${files.credentials}`], ['import:workflow', `--input=${files.workflow}`]]) {
				const result = await instance.cli(args, 120_000);
				if (result.code !== 0) throw new Error(`n8n ${args[0]} exited with ${result.code}:\n${result.stdout}\n${result.stderr}`);
			}
		});

		const failedMonths: string[] = [];
		for (let month = 1; month <= MONTHS; month++) {
			// A month on, the access token of the last run has long expired.
			oauth.expireAccessTokens();
			const before = smtp.messages.length;
			const outcome = await report
				.timed(`OAuth2 month ${month}`, async () => parseRunOutput(await instance.cli(['execute', `--id=${WORKFLOW_ID}`, '--rawOutput'], 180_000)))
				.catch((error: Error) => error);
			const sent = outcome instanceof Error ? [] : (outcome.data.resultData.runData['Payroll Mail']?.[0]?.data?.main?.[0] ?? []);
			const arrived = smtp.messages.slice(before).flatMap((message) => message.to);
			if (sent.length !== STAFF.length || arrived.sort().join() !== STAFF.map((employee) => employee.email).join()) {
				failedMonths.push(`month ${month}: ${outcome instanceof Error ? outcome.message : `${sent.length} on Sent`}, arrived ${JSON.stringify(arrived)}`);
			}
		}
		const refreshes = oauth.requests.filter((request) => request.grantType === 'refresh_token').map((request) => request.refreshToken);
		report.expect(
			`${MONTHS} monthly runs with the OAuth2 credential: all ${STAFF.length} payslips sent each month, over STARTTLS with XOAUTH2`,
			failedMonths.length === 0 && smtp.messages.every((message) => message.secure && message.user === MAILBOX),
			failedMonths.join('\n') || 'a message arrived unencrypted or as another user',
		);
		report.expect(
			'each run refreshed once, with the refresh token the run before stored (rotated every time, none used twice)',
			refreshes.length === MONTHS && refreshes[0] === FIRST_REFRESH_TOKEN && new Set(refreshes).size === MONTHS,
			`refresh tokens sent, in order: ${JSON.stringify(refreshes)}`,
		);

		const exported = join(instance.userFolder, 'oauth-credential-export.json');
		const result = await instance.cli(['export:credentials', `--id=${CREDENTIAL.id}`, '--decrypted', `--output=${exported}`], 120_000);
		const stored = result.code === 0 ? (JSON.parse(readFileSync(exported, 'utf8')) as Array<{ data: { oauthTokenData?: { refresh_token?: string } } }>) : [];
		const storedRefreshToken = stored[0]?.data.oauthTokenData?.refresh_token;
		report.expect(
			'the stored credential holds the refresh token the last rotation issued (n8n export:credentials --decrypted)',
			storedRefreshToken !== undefined && storedRefreshToken === oauth.refreshToken,
			result.code === 0 ? `stored ${storedRefreshToken}, the endpoint's current one ${oauth.refreshToken}` : `export exited with ${result.code}: ${result.stderr}`,
		);
	} finally {
		await smtp.close();
		await oauth.close();
	}
}
