'use strict';

const { NodeOperationError } = require('n8n-workflow');

/**
 * Routes each item to "Sent" when its recipient looks like an address, else to "Failed",
 * touching the engine features the harness must provide: expressions, credentials,
 * binary data and the execution's cancel signal.
 */
class FixtureMailer {
	constructor() {
		this.description = {
			displayName: 'Fixture Mailer',
			name: 'fixtureMailer',
			group: ['output'],
			version: 1,
			description: 'Harness fixture',
			defaults: { name: 'Fixture Mailer' },
			inputs: ['main'],
			outputs: ['main', 'main'],
			outputNames: ['Sent', 'Failed'],
			credentials: [{ name: 'fixtureApi', required: true, testedBy: 'fixtureApiTest' }],
			properties: [
				{
					displayName: 'Recipient',
					name: 'recipient',
					type: 'string',
					default: '={{ $json.email }}',
				},
				{ displayName: 'Wait for Cancel', name: 'waitForCancel', type: 'boolean', default: false },
			],
		};
		this.methods = {
			credentialTest: {
				async fixtureApiTest(credential) {
					this.logger.debug('Testing fixture credential');
					const { host, port } = credential.data;
					return host === 'localhost'
						? { status: 'OK', message: `Reached ${host}:${port}` }
						: { status: 'Error', message: `Cannot reach ${host}` };
				},
			},
		};
	}

	async execute() {
		const items = this.getInputData();
		const signal = this.getExecutionCancelSignal();

		if (this.getNodeParameter('waitForCancel', 0)) {
			if (!signal.aborted) {
				await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
			}
			return [[], items.map((_, item) => ({ json: { cancelled: true }, pairedItem: { item } }))];
		}

		const { host, port, user } = await this.getCredentials('fixtureApi');
		if (!host) throw new NodeOperationError(this.getNode(), 'No host configured');

		const sent = [];
		const failed = [];
		for (let item = 0; item < items.length; item++) {
			const recipient = this.getNodeParameter('recipient', item);
			const attachment = await this.helpers.getBinaryDataBuffer(item, 'data');
			const json = {
				recipient,
				server: `${user}@${host}:${port}`,
				attachment: attachment.toString(),
			};
			(recipient.includes('@') ? sent : failed).push({ json, pairedItem: { item } });
		}
		return [sent, failed];
	}
}

module.exports = { FixtureMailer };
