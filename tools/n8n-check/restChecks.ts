/**
 * The checks made through n8n's REST API, as the editor makes its calls: the types n8n loaded
 * from the package, a saved credential and its Test button (right and wrong password, against
 * the loopback SMTP server), and saving the workflow that `n8n execute` runs afterwards.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { TestSmtpServer } from '../../test/support/testSmtpServer';
import type { RestClient } from './n8nInstance';
import { credentialData, payrollWorkflow, SMTP_PASSWORD, WRONG_PASSWORD } from './payrollWorkflow';
import type { TargetReport } from './report';

export const NODE_TYPE = 'n8n-nodes-payroll-mail.payrollMail';
export const BOUNCES_NODE_TYPE = 'n8n-nodes-payroll-mail.payrollMailBounces';
const BOUNCES_EXAMPLE = join(__dirname, '..', '..', 'examples', 'payslip-bounces.json');
export const CREDENTIAL_TYPE = 'payrollSmtpApi';
export const CREDENTIAL_TEST = 'testPayrollSmtpCredential';
export const OAUTH2_CREDENTIAL_TYPE = 'payrollSmtpOAuth2Api';

interface NodeTypeInfo {
	name: string;
	outputNames?: string[];
	credentials?: Array<{ name: string; testedBy?: string }>;
}
interface CredentialTypeInfo {
	name: string;
	displayName: string;
	extends?: string[];
}
interface SavedCredential {
	id: string;
	name: string;
	type: string;
	data: Record<string, unknown>;
}
interface CredentialTestResult {
	status: string;
	message: string;
}

async function checkTypes(report: TargetReport, rest: RestClient, logTail: () => string): Promise<void> {
	const nodeTypes = await rest.get<NodeTypeInfo[]>('/types/nodes.json');
	const node = nodeTypes.find((type) => type.name === NODE_TYPE);
	const fromPackage = nodeTypes.filter((type) => type.name.startsWith('n8n-nodes-payroll-mail.')).map((type) => type.name);
	report.expect(
		`node type ${NODE_TYPE} registered, outputs Sent and Failed`,
		node?.outputNames?.join() === 'Sent,Failed',
		node
			? `outputs: ${JSON.stringify(node.outputNames)}`
			: `not in /types/nodes.json; the package's types there: ${fromPackage.join(', ') || 'none'}\n${logTail()}`,
	);
	const bounces = nodeTypes.find((type) => type.name === BOUNCES_NODE_TYPE);
	report.expect(
		`node type ${BOUNCES_NODE_TYPE} registered, outputs Bounced and Other, the postgres credential for the journal`,
		bounces?.outputNames?.join() === 'Bounced,Other' && bounces.credentials?.some((entry) => entry.name === 'postgres') === true,
		bounces ? `outputs: ${JSON.stringify(bounces.outputNames)}, credentials: ${JSON.stringify(bounces.credentials)}` : `the package's types: ${fromPackage.join(', ')}`,
	);
	const credential = node?.credentials?.find((entry) => entry.name === CREDENTIAL_TYPE);
	report.expect(
		`the node uses credential ${CREDENTIAL_TYPE}, tested by ${CREDENTIAL_TEST}`,
		credential?.testedBy === CREDENTIAL_TEST,
		`credentials of the node: ${JSON.stringify(node?.credentials)}`,
	);
	const credentialTypes = await rest.get<CredentialTypeInfo[]>('/types/credentials.json');
	const credentialType = credentialTypes.find((type) => type.name === CREDENTIAL_TYPE);
	report.expect(
		`credential type ${CREDENTIAL_TYPE} registered as "Payroll Mail SMTP"`,
		credentialType?.displayName === 'Payroll Mail SMTP',
		`found: ${JSON.stringify(credentialType)}`,
	);
	const oauthType = credentialTypes.find((type) => type.name === OAUTH2_CREDENTIAL_TYPE);
	report.expect(
		`credential type ${OAUTH2_CREDENTIAL_TYPE} registered as "Payroll Mail SMTP OAuth2 API", built on n8n's oAuth2Api, offered by the node`,
		oauthType?.displayName === 'Payroll Mail SMTP OAuth2 API' &&
			oauthType.extends?.includes('oAuth2Api') === true &&
			node?.credentials?.some((entry) => entry.name === OAUTH2_CREDENTIAL_TYPE) === true,
		`found: ${JSON.stringify({ ...oauthType, properties: undefined })}`,
	);
}

async function checkCredentialTest(report: TargetReport, rest: RestClient, saved: SavedCredential, smtp: TestSmtpServer) {
	const test = async (data: Record<string, unknown>) =>
		await rest.post<CredentialTestResult>('/rest/credentials/test', {
			credentials: { id: saved.id, name: saved.name, type: saved.type, data },
		});
	// The editor's Test button sends a saved credential back with its password redacted; n8n
	// puts the stored password in before it calls the package's test function.
	const right = await test(saved.data);
	report.expect('credential test, right password: OK', right.status === 'OK', `got ${JSON.stringify(right)}`);
	const wrong = await test({ ...saved.data, password: WRONG_PASSWORD });
	report.expect(
		"credential test, wrong password: error quoting the server's 535",
		wrong.status === 'Error' && /535/.test(wrong.message) && /Authentication credentials invalid/.test(wrong.message),
		`got ${JSON.stringify(wrong)}`,
	);
	const attempts = smtp.authAttempts();
	report.expect(
		'the SMTP server saw both logins: one accepted, one refused',
		attempts.length === 2 && attempts[0].succeeded && !attempts[1].succeeded,
		`AUTH attempts: ${JSON.stringify(attempts)}`,
	);
}

/** The bounces example, imported as the editor's Import from File and Save do, reads back with every node. */
async function checkBouncesExample(report: TargetReport, rest: RestClient): Promise<void> {
	const example = JSON.parse(readFileSync(BOUNCES_EXAMPLE, 'utf8')) as { name: string; nodes: Array<{ type: string }>; connections: unknown; settings: unknown };
	const { name, nodes, connections, settings } = example;
	const saved = await report.step('examples/payslip-bounces.json imported (POST /rest/workflows)', () =>
		rest.post<{ id: string }>('/rest/workflows', { name, nodes, connections, settings, active: false }),
	);
	const back = await rest.get<{ nodes: Array<{ type: string }> }>(`/rest/workflows/${saved.id}`);
	report.expect(
		'the imported bounces example holds all its nodes, Payroll Mail Bounces among them',
		back.nodes.length === nodes.length && back.nodes.some((node) => node.type === BOUNCES_NODE_TYPE),
		`nodes read back: ${back.nodes.map((node) => node.type).join(', ')}`,
	);
}

/** Runs every REST check; returns the saved workflow's id and the credential it uses. */
export async function restChecks(
	report: TargetReport,
	rest: RestClient,
	smtp: TestSmtpServer,
	logTail: () => string,
): Promise<{ workflowId: string; credential: { id: string; name: string } }> {
	const owner = { email: 'owner@example.com', password: 'Payroll-Check-2026' };
	await report.step('owner set up (POST /rest/owner/setup)', () =>
		rest.post('/rest/owner/setup', { ...owner, firstName: 'Payroll', lastName: 'Check' }),
	);
	// The calls below use the session cookie of this login.
	await report.step('owner logged in (POST /rest/login)', () =>
		rest.post('/rest/login', { emailOrLdapLoginId: owner.email, password: owner.password }),
	);
	await checkTypes(report, rest, logTail);

	const credential = await report.step('credential saved (POST /rest/credentials)', () =>
		rest.post<{ id: string; name: string }>('/rest/credentials', {
			name: 'Loopback SMTP',
			type: CREDENTIAL_TYPE,
			data: credentialData(SMTP_PASSWORD, smtp.port),
		}),
	);
	const saved = await rest.get<SavedCredential>(`/rest/credentials/${credential.id}?includeData=true`);
	await checkCredentialTest(report, rest, saved, smtp);

	await checkBouncesExample(report, rest);

	const workflow = await report.step('workflow saved (POST /rest/workflows)', () =>
		rest.post<{ id: string }>('/rest/workflows', payrollWorkflow({ id: credential.id, name: credential.name })),
	);
	return { workflowId: workflow.id, credential };
}
