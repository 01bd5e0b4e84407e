'use strict';

class FixtureApi {
	constructor() {
		this.name = 'fixtureApi';
		this.displayName = 'Fixture API';
		this.properties = [
			{ displayName: 'Host', name: 'host', type: 'string', default: '' },
			{ displayName: 'Port', name: 'port', type: 'number', default: 25 },
			{ displayName: 'User', name: 'user', type: 'string', default: '' },
		];
	}
}

module.exports = { FixtureApi };
