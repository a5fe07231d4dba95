/** The server's allocation batcher: concurrent allocations share one transaction. */
import { describe, expect, it } from 'vitest';
import { reserveBatcher } from '../../src/http/batcher.js';
import { isPortleaseError, openRegistry } from '../../src/index.js';
import { registryData, tempHome } from '../helpers.js';

const direct = <T>(task: () => Promise<T>) => task();
const options = { app: 'shop', instance: 'main', durable: true, exclusive: true };

describe('reserveBatcher', () => {
  it('commits allocations that arrive together in one transaction', async () => {
    const home = tempHome();
    const reserve = reserveBatcher(openRegistry({ home }), direct);
    const leases = await Promise.all(Array.from({ length: 10 }, (_, index) => reserve(`svc${index}`, options)));
    expect(new Set(leases.map((lease) => lease.port)).size).toBe(10);
    expect(leases.map((lease) => lease.service)).toEqual(Array.from({ length: 10 }, (_, index) => `svc${index}`));
    expect(registryData(home).rev).toBe(1);
  });

  it('gives each request its own answer when the batch cannot be granted whole', async () => {
    const home = tempHome();
    const reserve = reserveBatcher(openRegistry({ home }), direct);
    const results = await Promise.allSettled([reserve('web', options), reserve('web', options), reserve('api', options)]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const refused = (results[1] as PromiseRejectedResult).reason;
    expect(isPortleaseError(refused, 'E_SERVICE_LEASED')).toBe(true);
  });

  it('does not hold a lone request back: it runs at the next turn of the event loop', async () => {
    const home = tempHome();
    const reserve = reserveBatcher(openRegistry({ home }), direct);
    const lease = await reserve('solo', options);
    expect(lease.service).toBe('solo');
    expect(registryData(home).rev).toBe(1);
  });
});
