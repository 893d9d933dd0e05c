// A local JSON-RPC node for keycouncil (`npx hardhat node`): chain id 31337, Hardhat's default
// hardfork. Blocks are mined for every transaction and also every second, so confirmations
// arrive on their own. Contracts come precompiled from council/chain/contracts (Vyper).
module.exports = {
  networks: {
    hardhat: {
      chainId: 31337,
      mining: { auto: true, interval: 1000 },
    },
  },
};
