import { NodeHelpers, type INode, type INodeParameters, type INodeProperties } from 'n8n-workflow';

import { PayrollSmtpApi } from '../../credentials/PayrollSmtpApi.credentials';
import { PayrollMail } from '../../nodes/PayrollMail/PayrollMail.node';

/**
 * What the node panel shows in each mode, read with n8n's own NodeHelpers as the editor and the
 * engine read the description (a parameter hidden there is also dropped at run time). The browser
 * check in `npm run test:n8n` looks at the same in a real editor.
 */
const { description } = new PayrollMail();
const optionsCollection = description.properties.find((property) => property.name === 'options')!;
const ALL_OPTIONS = Object.fromEntries((optionsCollection.options as INodeProperties[]).map((option) => [option.name, option.default]));

function panel(values: INodeParameters, typeVersion = 1.1) {
	const parameters = { ...values, options: { ...ALL_OPTIONS, ...(values.options as object) } };
	const node: INode = { id: 'n', name: 'Payroll Mail', type: 'n8n-nodes-payroll-mail.payrollMail', typeVersion, position: [0, 0], parameters };
	const shown = NodeHelpers.getNodeParameters(description.properties, parameters, true, false, node, description) ?? {};
	const credentials = (description.credentials ?? []).filter((credential) => NodeHelpers.displayParameter(shown, credential, node, description)).map((credential) => credential.name);
	return { parameters: Object.keys(shown), options: Object.keys((shown.options ?? {}) as object), credentials };
}

const SMTP_ONLY = ['parallelConnections', 'mailsPerConnection', 'connectionTimeout', 'greetingTimeout', 'socketTimeout', 'smtpLog'];

describe('version 1.1, a new node', () => {
	it('Send Mode comes first; the credential is the SMTP one; no Test Address until it is chosen', () => {
		const { parameters, credentials } = panel({});
		expect(parameters[0]).toBe('sendMode');
		expect(parameters).not.toContain('testRecipient');
		expect(credentials).toEqual(['payrollSmtpApi']);
		expect(panel({ sendMode: 'testRecipient' }).parameters.slice(0, 2)).toEqual(['sendMode', 'testRecipient']);
	});

	it('Options: no Dry Run or Test Recipient (they are Send Mode now), no key or Resend Unconfirmed without Skip Already Sent, no inline images for a text mail', () => {
		const { options } = panel({});
		for (const hidden of ['dryRun', 'testRecipient', 'idempotencyKey', 'resendUnconfirmed', 'inlineImages']) expect([hidden, options.includes(hidden)]).toEqual([hidden, false]);
		expect(panel({ options: { skipAlreadySent: true } }).options).toEqual(expect.arrayContaining(['idempotencyKey', 'resendUnconfirmed']));
		expect(panel({ emailFormat: 'html' }).options).toContain('inlineImages');
		expect(panel({ emailFormat: 'both' }).options).toContain('inlineImages');
	});

	it('Pickup Directory: no credential, none of the SMTP-only options', () => {
		const { parameters, options, credentials } = panel({ delivery: 'pickupDirectory', pickupDirectory: '/var/spool/pickup' });
		expect(credentials).toEqual([]);
		expect(parameters).toContain('pickupDirectory');
		expect(options.filter((option) => SMTP_ONLY.includes(option))).toEqual([]);
		expect(panel({}).options).toEqual(expect.arrayContaining(SMTP_ONLY));
	});

	it('Delivery and Authentication have no display conditions: n8n shows Authentication beside the credential and would hide what it depends on', () => {
		for (const name of ['delivery', 'authentication']) expect(description.properties.find((property) => property.name === name)?.displayOptions).toBeUndefined();
	});

	it('Authentication → OAuth2: the OAuth2 credential instead', () => {
		expect(panel({ authentication: 'oAuth2' }).credentials).toEqual(['payrollSmtpOAuth2Api']);
	});
});

describe('version 1, a saved workflow', () => {
	it('has no Send Mode, and keeps Dry Run and Test Recipient under Options', () => {
		const { parameters, options } = panel({}, 1);
		expect(parameters).not.toContain('sendMode');
		expect(options).toEqual(expect.arrayContaining(['dryRun', 'testRecipient']));
	});
});

describe('the Payroll Mail SMTP credential', () => {
	const { properties } = new PayrollSmtpApi();
	const fields = (values: INodeParameters) => Object.keys(NodeHelpers.getNodeParameters(properties, values, true, false, null, null) ?? {});
	const EXPERT = ['allowUnauthorizedCerts', 'caCertificate', 'tlsServerName', 'clientHostName'];

	it('shows the expert fields only with Advanced Connection Settings on, the TLS ones only when the connection is encrypted', () => {
		expect(fields({ host: 'smtp.example.com' }).filter((name) => EXPERT.includes(name))).toEqual([]);
		expect(fields({ host: 'smtp.example.com', advancedTls: true }).filter((name) => EXPERT.includes(name))).toEqual(EXPERT);
		expect(fields({ host: 'smtp.example.com', advancedTls: true, connection: 'plaintext' }).filter((name) => EXPERT.includes(name))).toEqual(['clientHostName']);
	});

	it('asks for no password with None, and for the XOAUTH2 token fields only with XOAUTH2', () => {
		expect(fields({ authMethod: 'none' })).not.toEqual(expect.arrayContaining(['user']));
		expect(fields({ authMethod: 'none' })).not.toContain('password');
		expect(fields({ authMethod: 'login' })).not.toContain('accessToken');
		expect(fields({ authMethod: 'xoauth2' })).toEqual(expect.arrayContaining(['accessToken', 'clientId', 'clientSecret', 'refreshToken', 'accessUrl']));
	});
});
