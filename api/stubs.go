package api

import (
	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
)

// The services that act on the live engine. Their methods answer
// UNIMPLEMENTED until they are wired to the runner (Config.Engine).

type queueService struct {
	pb.UnimplementedQueueServiceServer
	s *Server
}

type agentService struct {
	pb.UnimplementedAgentServiceServer
	s *Server
}

type callService struct {
	pb.UnimplementedCallServiceServer
	s *Server
}

type scheduleService struct {
	pb.UnimplementedScheduleServiceServer
	s *Server
}

type eventService struct {
	pb.UnimplementedEventServiceServer
	s *Server
}

type campaignService struct {
	pb.UnimplementedCampaignServiceServer
	s *Server
}
