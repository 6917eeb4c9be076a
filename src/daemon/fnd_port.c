/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fnd_port: one parameterised setup for every ethdev fairnic drives, be
 * it an uplink (PCI NIC, af_xdp, af_packet, tap, memif, vhost, null...) or
 * the tap device behind a tap vNIC: probe from devargs, one rx and one tx
 * queue, promiscuous (the table, not the NIC, decides what is ours).
 */
#include <stdio.h>
#include <string.h>
#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include "fnd.h"


int
fnd_port_probe(const char *devargs, uint16_t *port, char *err, size_t len)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	size_t n = strcspn(devargs, ",");

	if (n == 0 || n >= sizeof(name)) {
		snprintf(err, len, "bad device arguments \"%s\"", devargs);
		return -1;
	}
	memcpy(name, devargs, n);
	name[n] = '\0';
	/* A PCI device may already be probed by the EAL's bus scan. */
	if (rte_eth_dev_get_port_by_name(name, port) == 0)
		return 0;
	int rc = rte_dev_probe(devargs);
	if (rc < 0) {
		snprintf(err, len, "cannot probe device \"%s\": %s", devargs,
			 strerror(-rc));
		return -1;
	}
	if (rte_eth_dev_get_port_by_name(name, port) != 0) {
		snprintf(err, len, "device \"%s\" probed but is not an ethdev", name);
		return -1;
	}
	return 0;
}

int
fnd_port_start(uint16_t port, struct rte_mempool *pool, bool rx_intr, char *err, size_t len)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	uint16_t nrx = FND_RING_SIZE, ntx = FND_RING_SIZE;
	int rc;

	if ((rc = rte_eth_dev_info_get(port, &info)) != 0)
		goto fail;
	/* Receive interrupts wake a sleeping data plane; a PMD without them
	 * refuses the configuration, and is then polled by timed sleeps. */
	conf.intr_conf.rxq = rx_intr;
	rc = rte_eth_dev_configure(port, 1, 1, &conf);
	if (rc != 0 && rx_intr) {
		conf.intr_conf.rxq = 0;
		rc = rte_eth_dev_configure(port, 1, 1, &conf);
	}
	if (rc != 0)
		goto fail;
	if ((rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nrx, &ntx)) != 0)
		goto fail;
	int socket = rte_eth_dev_socket_id(port);
	if (socket < 0)
		socket = 0;
	if ((rc = rte_eth_rx_queue_setup(port, 0, nrx, socket, NULL, pool)) != 0)
		goto fail;
	if ((rc = rte_eth_tx_queue_setup(port, 0, ntx, socket, NULL)) != 0)
		goto fail;
	if ((rc = rte_eth_dev_start(port)) != 0)
		goto fail;
	rte_eth_promiscuous_enable(port);   /* not every PMD can; fine */
	return 0;
fail:
	snprintf(err, len, "cannot start port %u: %s", port, strerror(-rc));
	return -1;
}

void
fnd_port_remove(uint16_t port)
{
	struct rte_eth_dev_info info;
	struct rte_device *dev = NULL;

	if (rte_eth_dev_info_get(port, &info) == 0)
		dev = info.device;
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
	if (dev != NULL)
		rte_dev_remove(dev);
}
